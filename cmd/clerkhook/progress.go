package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/clerkhook/clerkhook"
)

// progress shows how far a backfill has come: against the total of users
// when it is known, with the rate and the time left. On a terminal it
// redraws one line in place; elsewhere, such as a log file, it writes a
// line per page.
type progress struct {
	w        io.Writer
	terminal bool
	// total is the number of users the Backend API counted, 0 when
	// unknown.
	total int
	now   func() time.Time
	start time.Time
	// drawn is set while a line drawn in place is not ended.
	drawn bool
}

func newProgress(w io.Writer, now func() time.Time) *progress {
	return &progress{w: w, terminal: isTerminal(w), now: now, start: now()}
}

// isTerminal reports whether w is a terminal, without a dependency: a
// terminal is a character device, as /dev/null is too, which does no harm.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// update shows the report of a backfill; it is the backfill's
// clerkhook.WithProgress function.
func (p *progress) update(r clerkhook.BackfillReport) {
	line := p.line(r)
	if !p.terminal {
		fmt.Fprintln(p.w, line)
		return
	}
	// Back to the start of the line, and clear what a longer line left.
	fmt.Fprintf(p.w, "\r%s\x1b[K", line)
	p.drawn = true
}

// done ends the line drawn in place, so that what follows starts on a
// line of its own.
func (p *progress) done() {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

func (p *progress) line(r clerkhook.BackfillReport) string {
	var b strings.Builder
	if p.total > 0 {
		percent := min(100, 100*r.Seen/p.total)
		fmt.Fprintf(&b, "page %d: %d of %d users (%d%%)", r.Pages, r.Seen, p.total, percent)
	} else {
		fmt.Fprintf(&b, "page %d: %d users seen", r.Pages, r.Seen)
	}
	fmt.Fprintf(&b, ", %d written, %d stale, %d deleted", r.Written, r.Stale, r.Deleted)
	elapsed := p.now().Sub(p.start)
	if elapsed <= 0 || r.Seen == 0 {
		return b.String()
	}
	rate := float64(r.Seen) / elapsed.Seconds()
	fmt.Fprintf(&b, "; %.0f users/s", rate)
	if left := p.total - r.Seen; left > 0 {
		fmt.Fprintf(&b, ", about %v left", time.Duration(float64(left)/rate*float64(time.Second)).Round(time.Second))
	}
	return b.String()
}
