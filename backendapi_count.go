package clerkhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// CountUsers returns how many users the instance has, as the Backend API
// counts them (GET /v1/users/count): the total a [Backfill] is about to
// list, to show its progress against. It sends one request, without the
// retries of Backfill, and fails with a [*BackendAPIError] for an answer
// that is not a success.
func (api *BackendAPI) CountUsers(ctx context.Context) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api.baseURL+"/v1/users/count", nil)
	if err != nil {
		return 0, fmt.Errorf("clerkhook: counting users: building the request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+api.secretKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "clerkhook-backfill")
	body, err := api.do(req, time.Now())
	if err != nil {
		return 0, fmt.Errorf("clerkhook: counting users: %w", err)
	}
	var count struct {
		TotalCount *int `json:"total_count"`
	}
	if json.Unmarshal(body, &count) != nil || count.TotalCount == nil || *count.TotalCount < 0 {
		return 0, errors.New("clerkhook: counting users: the answer holds no total_count")
	}
	return *count.TotalCount, nil
}
