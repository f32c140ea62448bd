package clerkhook

import (
	"fmt"
	"net/url"
	"strconv"
)

// listCursor is where Backfill's listing of the users stands. The Backend
// API pages by offset, which a deletion during the listing shifts: the
// first user of the next page moves to the page already read, and is never
// listed. So each page after the first starts from a creation time, which
// deletions do not move: the users created after the millisecond before
// that of the last user listed (created_at_after). The page repeats the
// users of that millisecond already listed, which add recognizes, so that
// a user created in the same millisecond as the last one but not yet
// listed is not skipped. Clerk documents created_at_after as "created
// after", with millisecond precision; should it include the millisecond
// it names, which the cursor sees when a user of that millisecond comes
// back, the cursor names the last user's millisecond itself from then on.
//
// Only when a whole page was created in one millisecond does the cursor
// page on by offset within that millisecond, where a deletion of a user of
// the same millisecond could still shift a user past it.
type listCursor struct {
	// started is false for the first page, which has no created_at_after.
	started bool
	// after and skip are the created_at_after and the offset of the next
	// request.
	after UnixMilli
	skip  int
	// inclusive records that created_at_after includes the millisecond
	// it names.
	inclusive bool
	// last is the creation time of the newest user listed, and recent the
	// users listed that were created at last or the millisecond before:
	// the only ones the next page may return again.
	last   UnixMilli
	recent map[string]UnixMilli
}

// query returns the parameters of the request for the next page.
func (c *listCursor) query(limit int) url.Values {
	q := url.Values{
		"limit":    {strconv.Itoa(limit)},
		"offset":   {strconv.Itoa(c.skip)},
		"order_by": {"+created_at"},
	}
	if c.started {
		q.Set("created_at_after", strconv.FormatInt(int64(c.after), 10))
	}
	return q
}

// add records a user of the page, and reports whether it is new to the
// listing. It fails for a user created before the page's created_at_after:
// the Backend API did not filter, and paging on would never end.
func (c *listCursor) add(u *User) (bool, error) {
	if c.started && u.CreatedAt < c.after {
		return false, fmt.Errorf("the Backend API listed user %s, created before the created_at_after it was asked for", u.ID)
	}
	if c.started && u.CreatedAt == c.after {
		c.inclusive = true
	}
	if _, listed := c.recent[u.ID]; listed {
		return false, nil
	}
	if c.recent == nil {
		c.recent = make(map[string]UnixMilli)
	}
	if u.CreatedAt > c.last {
		c.last = u.CreatedAt
		for id, at := range c.recent {
			if at < c.last-1 {
				delete(c.recent, id)
			}
		}
	}
	if u.CreatedAt >= c.last-1 {
		c.recent[u.ID] = u.CreatedAt
	}
	return true, nil
}

// next moves the cursor past a full page of n users.
func (c *listCursor) next(n int) {
	after := c.last - 1
	if c.inclusive {
		after = c.last
	}
	if c.started && after == c.after {
		// The page did not get past the millisecond the request started
		// from: the next one starts n users further within it.
		c.skip += n
		return
	}
	c.started, c.after, c.skip = true, after, 0
}
