package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/pgxstore"
)

// waitLimit bounds the waits for a server that should long have answered;
// reaching it fails the test.
const waitLimit = 30 * time.Second

// server is "clerkhook serve" running in a goroutine, as a user runs it.
type server struct {
	cancel context.CancelFunc
	done   chan int
	// changed is signalled when the log grows.
	changed chan struct{}

	mu  sync.Mutex
	log strings.Builder
}

// startServe runs "clerkhook serve" with args until the test ends or
// stop is called.
func startServe(t *testing.T, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{cancel: cancel, done: make(chan int, 1), changed: make(chan struct{}, 1)}
	logR, logW := io.Pipe()
	go func() {
		code := run(ctx, append([]string{"serve"}, args...), io.Discard, logW)
		logW.Close()
		s.done <- code
	}()
	go func() {
		lines := bufio.NewScanner(logR)
		for lines.Scan() {
			s.mu.Lock()
			s.log.WriteString(lines.Text() + "\n")
			s.mu.Unlock()
			select {
			case s.changed <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-s.done
	})
	return s
}

func (s *server) stderr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// waitFor waits until the server's stderr matches re and returns the
// submatches.
func (s *server) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	limit := time.After(waitLimit)
	for {
		if m := re.FindStringSubmatch(s.stderr()); m != nil {
			return m
		}
		select {
		case <-s.changed:
		case code := <-s.done:
			s.done <- code
			if m := re.FindStringSubmatch(s.stderr()); m != nil {
				return m
			}
			t.Fatalf("serve exited with %d before printing %s; stderr:\n%s", code, re, s.stderr())
		case <-limit:
			t.Fatalf("serve did not print %s; stderr:\n%s", re, s.stderr())
		}
	}
}

// stop interrupts the server as SIGINT does and returns its exit code.
func (s *server) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code
		return code
	case <-time.After(waitLimit):
		t.Fatalf("serve did not stop; stderr:\n%s", s.stderr())
		return 0
	}
}

var listeningJSON = regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func TestServe(t *testing.T) {
	cleanEnv(t)
	secret := clerkhooktest.NewSecret()
	t.Setenv("CLERK_WEBHOOK_SECRET", secret)
	s := startServe(t, "-addr", "127.0.0.1:0", "-log-format", "json")
	base := "http://" + s.waitFor(t, listeningJSON)[1]

	code, stdout, stderr := runCLI(t, "send", "-url", base+"/webhooks/clerk", "-repeat", "2")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "attempt 1/2: 200 OK: processed\nattempt 2/2: 200 OK: duplicate\n")

	status, body := get(t, base+"/healthz")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "ok\n", body)
	status, _ = get(t, base+"/webhooks/clerk")
	assert.Equal(t, http.StatusMethodNotAllowed, status)
	status, _ = get(t, base+"/users/user_2any")
	assert.Equal(t, http.StatusNotFound, status, "GET /users/{id} is for development mode only")

	assert.Equal(t, 0, s.stop(t))
	log := s.stderr()
	fp, err := clerkhook.SecretFingerprint(secret)
	require.NoError(t, err)
	assert.Contains(t, log, `"msg":"signing secrets","fingerprints":"`+fp+`"`, "the fingerprints at start-up")
	assert.Contains(t, log, `"secret_fingerprint":"`+fp+`"`, "and in each delivery's line")
	assert.Contains(t, log, `"msg":"shutting down"`)
	assert.Contains(t, log, `"outcome":"duplicate"`)
	assert.NotContains(t, log, secret)
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		assert.True(t, json.Valid([]byte(line)), "-log-format json logs JSON lines: %s", line)
	}
}

func TestServeDev(t *testing.T) {
	cleanEnv(t)
	s := startServe(t, "-addr", "127.0.0.1:0", "-dev")
	m := s.waitFor(t, regexp.MustCompile(`\n  clerkhook (send -url (\S+)/webhooks/clerk -secret (whsec_\S+) -type user.created)\n`))
	base, secret := m[2], m[3]
	goRun := s.waitFor(t, regexp.MustCompile(`\n  go run \./cmd/clerkhook (send -url \S+ -secret \S+ -type user.created)\n`))
	assert.Equal(t, m[1], goRun[1], "the go run form runs the same command")

	code, stdout, stderr := runCLI(t, strings.Fields(m[1])...)

	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "attempt 1/1: 200 OK: processed\n")
	_, err := clerkhook.NewVerifier(secret)
	assert.NoError(t, err)

	userID := regexp.MustCompile(`user\.created (user_\S+)\n`).FindStringSubmatch(stdout)
	require.NotNil(t, userID, stdout)
	status, body := get(t, base+"/users/"+userID[1])
	assert.Equal(t, http.StatusOK, status)
	var u clerkhook.User
	require.NoError(t, json.Unmarshal([]byte(body), &u), body)
	assert.Equal(t, userID[1], u.ID)
	status, _ = get(t, base+"/users/user_2neverSent")
	assert.Equal(t, http.StatusNotFound, status)

	assert.Equal(t, 0, s.stop(t))
	assert.Equal(t, 3, strings.Count(s.stderr(), secret), "the secret is printed for -dev, with the two commands, and never logged")
}

func TestServeWithPostgreSQL(t *testing.T) {
	cleanEnv(t)
	db := newTestDatabase(t)
	secret := clerkhooktest.NewSecret()
	evt, err := clerkhooktest.UserCreated(func(u *clerkhook.User) { u.ID = "user_2servedByPostgres" })
	require.NoError(t, err)
	body, err := json.Marshal(evt)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "event.json")
	require.NoError(t, os.WriteFile(file, body, 0o600))
	s := startServe(t, "-addr", "127.0.0.1:0", "-secret", secret, "-database-url", db.url, "-schema", db.schema, "-log-format", "json")
	base := "http://" + s.waitFor(t, listeningJSON)[1]

	code, stdout, stderr := runCLI(t, "send", "-url", base+"/webhooks/clerk", "-secret", secret, "-file", file)

	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "200 OK: processed")
	got, err := pgxstore.New(db.pool, pgxstore.WithSchema(db.schema)).User(context.Background(), "user_2servedByPostgres")
	require.NoError(t, err)
	want, err := evt.User()
	require.NoError(t, err)
	assert.Equal(t, want.PrimaryEmail(), got.PrimaryEmail())
	status, _ := get(t, base+"/healthz")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, 0, s.stop(t))
	assert.Contains(t, s.stderr(), `"msg":"using PostgreSQL"`)
}

func TestServeFailures(t *testing.T) {
	cleanEnv(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { busy.Close() })
	secret := clerkhooktest.NewSecret()
	const badSecret = "whsec_not*base64*at*all"
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"no secret", nil, 2, []string{
			"clerkhook serve: no signing secret: pass -secret or set CLERK_WEBHOOK_SECRET",
			"Clerk Dashboard → Webhooks → your endpoint → Signing Secret", "pass -dev", `"clerkhook secret"`,
		}},
		{"a bad secret", []string{"-secret", badSecret}, 2, []string{"clerkhook serve: clerkhook: invalid signing secret"}},
		{"an unknown log format", []string{"-secret", secret, "-log-format", "xml"}, 2, []string{`-log-format "xml": want text or json`}},
		{"a busy address", []string{"-secret", secret, "-addr", busy.Addr().String()}, 1, []string{"address already in use"}},
		{"an unreachable database", []string{"-secret", secret, "-addr", "127.0.0.1:0", "-database-url", "postgres://postgres@" + closedAddress(t) + "/test?sslmode=disable"}, 1,
			[]string{"clerkhook serve: migrating the schema \"public\""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, append([]string{"serve"}, tt.args...)...)

			assert.Equal(t, tt.code, code)
			if tt.code == 2 {
				assert.True(t, strings.HasPrefix(stderr, "clerkhook serve: "), "a wrong command line is refused before anything starts: %s", stderr)
			}
			for _, want := range tt.stderr {
				assert.Contains(t, stderr, want)
			}
			assert.NotContains(t, stderr, badSecret)
			assert.NotContains(t, stderr, secret)
		})
	}
}

func TestServeDuringARotation(t *testing.T) {
	cleanEnv(t)
	newSecret, oldSecret := clerkhooktest.NewSecret(), clerkhooktest.NewSecret()
	s := startServe(t, "-addr", "127.0.0.1:0", "-secret", newSecret+","+oldSecret, "-log-format", "json")
	base := "http://" + s.waitFor(t, listeningJSON)[1]

	code, _, stderr := runCLI(t, "send", "-url", base+"/webhooks/clerk", "-secret", oldSecret)

	require.Equal(t, 0, code, stderr)
	assert.Equal(t, 0, s.stop(t))
	newFP, err := clerkhook.SecretFingerprint(newSecret)
	require.NoError(t, err)
	oldFP, err := clerkhook.SecretFingerprint(oldSecret)
	require.NoError(t, err)
	log := s.stderr()
	assert.Contains(t, log, `"fingerprints":"`+newFP+","+oldFP+`"`)
	assert.Contains(t, log, `"secret_fingerprint":"`+oldFP+`"`, "the delivery was verified by the old secret")
	assert.NotContains(t, log, newSecret)
	assert.NotContains(t, log, oldSecret)
}

func TestListenAddress(t *testing.T) {
	tests := []struct {
		addr       string
		given, dev bool
		want       string
	}{
		{":8080", false, false, ":8080"},
		{":8080", false, true, "127.0.0.1:8080"},
		{":9000", true, true, ":9000"},
		{"127.0.0.1:0", true, false, "127.0.0.1:0"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, listenAddress(tt.addr, tt.given, tt.dev), "%+v", tt)
	}
}
