package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

// runCLI runs a command line as main does and returns its exit code and
// output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// cleanEnv empties the environment variables the commands read, so that
// those of the machine running the tests do not count.
func cleanEnv(t *testing.T) {
	for _, name := range []string{"CLERK_WEBHOOK_SECRET", "CLERK_SECRET_KEY", "DATABASE_URL"} {
		t.Setenv(name, "")
	}
}

func TestUsage(t *testing.T) {
	cleanEnv(t)
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string
		stderr     string
		noFlagList bool
	}{
		{name: "no command", args: nil, code: 2, stderr: "Usage: clerkhook <command>"},
		{name: "-h", args: []string{"-h"}, code: 0, stdout: "Usage: clerkhook <command>"},
		{name: "help", args: []string{"help"}, code: 0, stdout: "  backfill  copy the users Clerk already has"},
		{name: "help send", args: []string{"help", "send"}, code: 0, stdout: "Usage: clerkhook send -url URL"},
		{name: "unknown command", args: []string{"deploy"}, code: 2, stderr: "clerkhook: unknown command \"deploy\"\n\nUsage: clerkhook <command>"},
		{name: "serve -h", args: []string{"serve", "-h"}, code: 0, stdout: "Usage: clerkhook serve [-addr :8080]"},
		{name: "send -help", args: []string{"send", "-help"}, code: 0, stdout: "  user.created, user.deleted, user.updated\n"},
		{name: "backfill -h", args: []string{"backfill", "-h"}, code: 0, stdout: "CLERK_SECRET_KEY"},
		{name: "secret -h", args: []string{"secret", "-h"}, code: 0, stdout: "Usage: clerkhook secret", noFlagList: true},
		{name: "serve with an unknown flag", args: []string{"serve", "-port", "80"}, code: 2, stderr: "flag provided but not defined: -port\n\nUsage: clerkhook serve"},
		{name: "send with a bad number", args: []string{"send", "-repeat", "twice"}, code: 2, stderr: "invalid value \"twice\" for flag -repeat"},
		{name: "backfill with an argument", args: []string{"backfill", "now"}, code: 2, stderr: "clerkhook backfill: unexpected argument \"now\""},
		{name: "secret with an argument", args: []string{"secret", "new"}, code: 2, stderr: "unexpected argument \"new\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			assert.Equal(t, tt.code, code)
			if tt.stdout != "" {
				assert.Contains(t, stdout, tt.stdout)
			} else {
				assert.Empty(t, stdout)
			}
			if tt.stderr != "" {
				assert.Contains(t, stderr, tt.stderr)
			} else {
				assert.Empty(t, stderr)
			}
			if tt.code == 0 && len(tt.args) == 2 && !tt.noFlagList {
				assert.Contains(t, stdout, "\nFlags:\n", "a command's help lists its flags")
			}
			if tt.noFlagList {
				assert.NotContains(t, stdout, "Flags:")
			}
		})
	}
}

func TestSecret(t *testing.T) {
	secretLine := regexp.MustCompile(`^whsec_[A-Za-z0-9+/]{32}\n$`)
	var secrets []string
	for range 2 {
		code, stdout, stderr := runCLI(t, "secret")
		require.Equal(t, 0, code, stderr)
		assert.Empty(t, stderr)
		assert.Regexp(t, secretLine, stdout)
		secret := stdout[:len(stdout)-1]
		_, err := clerkhook.NewVerifier(secret)
		assert.NoError(t, err, "the secret is one the handler accepts")
		secrets = append(secrets, secret)
	}
	assert.NotEqual(t, secrets[0], secrets[1])
}
