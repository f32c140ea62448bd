package clerkhook_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRootPackageDependencies keeps the promise that importing the root
// package compiles no database driver, framework or CLI: only the standard
// library, the Standard Webhooks library and the JSON decoder.
func TestRootPackageDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	require.NoError(t, err)
	for _, dep := range strings.Fields(string(out)) {
		allowed := dep == "github.com/clerkhook/clerkhook" ||
			dep == "github.com/standard-webhooks/standard-webhooks/libraries/go" ||
			dep == "github.com/go-json-experiment/json" ||
			strings.HasPrefix(dep, "github.com/go-json-experiment/json/")
		assert.True(t, allowed, "the root package depends on %s", dep)
	}
}
