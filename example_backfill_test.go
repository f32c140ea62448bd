package clerkhook_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/clerkhook/clerkhook"
)

func ExampleBackfill() {
	// A stand-in for Clerk's Backend API, whose GET /v1/users answers with
	// a bare JSON array of users.
	clerk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[
			{"id":"user_2exampleAda","object":"user","first_name":"Ada","created_at":1767268800000,"updated_at":1767268800000},
			{"id":"user_2exampleGrace","object":"user","first_name":"Grace","created_at":1767272400000,"updated_at":1767276000000}
		]`)
	}))
	defer clerk.Close()

	// In production: clerkhook.NewBackendAPI(os.Getenv("CLERK_SECRET_KEY")).
	api, err := clerkhook.NewBackendAPI("sk_test_example", clerkhook.WithBackendURL(clerk.URL))
	if err != nil {
		log.Fatal(err)
	}
	store := clerkhook.NewMemoryStore()
	report, err := clerkhook.Backfill(context.Background(), api, store,
		clerkhook.WithProgress(func(r clerkhook.BackfillReport) {
			fmt.Printf("page %d: %d users so far\n", r.Pages, r.Seen)
		}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", report)
	u, err := store.User(context.Background(), "user_2exampleGrace")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.FullName())
	// Output:
	// page 1: 2 users so far
	// {Pages:1 Seen:2 Written:2 Stale:0 Deleted:0 Missing:0 WouldDelete:[] Anomalies:[]}
	// Grace
}
