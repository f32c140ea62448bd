package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

// steppingClock advances by step at each reading after the first.
func steppingClock(step time.Duration) func() time.Time {
	t := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	first := true
	return func() time.Time {
		if !first {
			t = t.Add(step)
		}
		first = false
		return t
	}
}

func TestProgressLines(t *testing.T) {
	tests := []struct {
		name  string
		total int
		step  time.Duration
		r     clerkhook.BackfillReport
		want  string
	}{
		{"against the total", 4000, 2 * time.Second, clerkhook.BackfillReport{Pages: 2, Seen: 1000, Written: 990, Stale: 10},
			"page 2: 1000 of 4000 users (25%), 990 written, 10 stale, 0 deleted; 500 users/s, about 6s left"},
		{"without a total", 0, 2 * time.Second, clerkhook.BackfillReport{Pages: 2, Seen: 1000, Written: 1000},
			"page 2: 1000 users seen, 1000 written, 0 stale, 0 deleted; 500 users/s"},
		{"past the total, as users were created meanwhile", 900, time.Second, clerkhook.BackfillReport{Pages: 2, Seen: 1000, Written: 1000},
			"page 2: 1000 of 900 users (100%), 1000 written, 0 stale, 0 deleted; 1000 users/s"},
		{"no time elapsed", 4000, 0, clerkhook.BackfillReport{Pages: 1, Seen: 500, Written: 500},
			"page 1: 500 of 4000 users (12%), 500 written, 0 stale, 0 deleted"},
		{"after reconciling", 12, time.Second, clerkhook.BackfillReport{Pages: 1, Seen: 12, Written: 12, Deleted: 3},
			"page 1: 12 of 12 users (100%), 12 written, 0 stale, 3 deleted; 12 users/s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			p := newProgress(&out, steppingClock(tt.step))
			p.total = tt.total
			p.update(tt.r)
			p.done()
			assert.Equal(t, tt.want+"\n", out.String(), "a line per page when not on a terminal")
		})
	}
}

func TestProgressRedrawsInPlaceOnATerminal(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, steppingClock(time.Second))
	p.terminal, p.total = true, 1000
	p.update(clerkhook.BackfillReport{Pages: 1, Seen: 500, Written: 500})
	p.update(clerkhook.BackfillReport{Pages: 2, Seen: 1000, Written: 1000})
	p.done()
	p.done()
	assert.Equal(t, "\rpage 1: 500 of 1000 users (50%), 500 written, 0 stale, 0 deleted; 500 users/s, about 1s left\x1b[K"+
		"\rpage 2: 1000 of 1000 users (100%), 1000 written, 0 stale, 0 deleted; 500 users/s\x1b[K\n", out.String())
}

func TestIsTerminal(t *testing.T) {
	assert.False(t, isTerminal(&bytes.Buffer{}))
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	require.NoError(t, err)
	defer f.Close()
	assert.False(t, isTerminal(f), "a regular file")
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	require.NoError(t, err)
	defer null.Close()
	assert.True(t, isTerminal(null), "a character device")
}
