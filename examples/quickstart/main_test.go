package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	text := out.String()
	assert.Contains(t, text, "-> 200 processed")
	assert.Contains(t, text, "-> 200 duplicate", "the retry is recognised")
	assert.Contains(t, text, "-> 200 stale", "the late update is ignored")
	assert.Contains(t, text, `"Ada King"`)
	assert.NotContains(t, text, `"Ada Byron"`, "the older name never reaches the store")
	assert.Contains(t, lines[len(lines)-1], "is deleted")
}
