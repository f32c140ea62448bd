package clerkhook_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook"
)

// naiveHandler is a webhook receiver written the usual way: read the whole
// body, rename the headers for the standard-webhooks library, decode the
// full user, keep it in a map. It is the baseline of BenchmarkHandler.
type naiveHandler struct {
	wh    *standardwebhooks.Webhook
	mu    sync.Mutex
	users map[string]*clerkhook.User
}

func (n *naiveHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	headers := http.Header{}
	headers.Set("webhook-id", r.Header.Get("svix-id"))
	headers.Set("webhook-timestamp", r.Header.Get("svix-timestamp"))
	headers.Set("webhook-signature", r.Header.Get("svix-signature"))
	if err := n.wh.Verify(body, headers); err != nil {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	var evt struct {
		Type string         `json:"type"`
		Data clerkhook.User `json:"data"`
	}
	if err := json.Unmarshal(body, &evt); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	n.mu.Lock()
	n.users[evt.Data.ID] = &evt.Data
	n.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// benchWriter is a ResponseWriter that keeps nothing, so that the
// benchmark measures the handlers rather than the recorder.
type benchWriter struct {
	header http.Header
	code   int
}

func (w *benchWriter) Header() http.Header         { return w.header }
func (w *benchWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *benchWriter) WriteHeader(code int)        { w.code = code }

func BenchmarkHandler(b *testing.B) {
	for _, fixture := range []string{"user.updated.json", "user.updated.large.json"} {
		body := compactFixture(b, fixture)
		for _, impl := range []string{"clerkhook", "naive"} {
			b.Run(fmt.Sprintf("%s/%.1fKB/%s", fixture, float64(len(body))/1000, impl), func(b *testing.B) {
				var h http.Handler
				var err error
				if impl == "naive" {
					wh, err := standardwebhooks.NewWebhook(testSecret)
					require.NoError(b, err)
					h = &naiveHandler{wh: wh, users: make(map[string]*clerkhook.User)}
				} else {
					h, err = clerkhook.NewHandler(testSecret, clerkhook.NewMemoryStore(), clerkhook.WithLogger(discardLogger()))
					require.NoError(b, err)
				}
				benchmarkDeliveries(b, h, body)
			})
		}
	}
}

// compactFixture returns a fixture as Clerk sends it: without the
// indentation of the file.
func compactFixture(b *testing.B, name string) []byte {
	pretty, err := os.ReadFile("testdata/events/" + name)
	require.NoError(b, err)
	var body bytes.Buffer
	require.NoError(b, json.Compact(&body, pretty))
	return body.Bytes()
}

// benchmarkDeliveries sends b.N deliveries of body, each with its own id
// as Svix would, signed before the timer starts.
func benchmarkDeliveries(b *testing.B, h http.Handler, body []byte) {
	wh, err := standardwebhooks.NewWebhook(testSecret)
	require.NoError(b, err)
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	headers := make([]http.Header, b.N)
	for i := range headers {
		id := "msg_bench" + strconv.Itoa(i)
		sig, err := wh.Sign(id, now, body)
		require.NoError(b, err)
		headers[i] = http.Header{"Svix-Id": {id}, "Svix-Timestamp": {ts}, "Svix-Signature": {sig}}
	}
	r, err := http.NewRequest(http.MethodPost, "/webhooks/clerk", nil)
	require.NoError(b, err)
	r.ContentLength = int64(len(body))
	w := &benchWriter{header: http.Header{}}
	reader := bytes.NewReader(body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		reader.Reset(body)
		r.Body = io.NopCloser(reader)
		r.Header = headers[i]
		h.ServeHTTP(w, r)
		if w.code != http.StatusOK {
			b.Fatalf("status %d", w.code)
		}
	}
}
