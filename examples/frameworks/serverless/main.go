// Command serverless receives Clerk's webhooks in the shape serverless
// runtimes hand HTTP requests to a function: a header map, a body string
// and a flag telling whether the body is base64-encoded, as AWS Lambda
// gets them from API Gateway or a function URL, and Netlify Functions
// likewise. It imports no SDK: the request and response types below have
// the JSON names of those events, so that with github.com/aws/aws-lambda-go
// the function is started as
//
//	lambda.Start(fn.invoke)
//
// Here main stands in for the runtime: it reads one event from standard
// input and writes the response to standard output. The signing secret is
// read from CLERK_WEBHOOK_SECRET.
//
//	CLERK_WEBHOOK_SECRET=whsec_... go run ./serverless < event.json
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/clerkhook/clerkhook"
)

// request is what the function reads of an API Gateway (REST or HTTP API),
// Lambda function URL or Netlify Functions event.
type request struct {
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

// response is the function's answer, in the shape those runtimes turn
// into an HTTP response.
type response struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

// invoke is the function's entry point, with the signature a Lambda
// handler may have. It never returns an error: a failure is answered 500,
// which Clerk retries, whereas an error would have the runtime answer on
// its own.
func (f *function) invoke(ctx context.Context, req request) (response, error) {
	status := f.handle(ctx, req.Headers, req.Body, req.IsBase64Encoded)
	return response{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "text/plain; charset=utf-8"},
		Body:       http.StatusText(status),
	}, nil
}

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	// A real function writes to a database, for example through pgxstore;
	// the memory store of one invocation only shows where the store goes.
	fn, err := newFunction(os.Getenv("CLERK_WEBHOOK_SECRET"), clerkhook.NewMemoryStore(), logger)
	if err != nil {
		logger.Error("serverless: set CLERK_WEBHOOK_SECRET to the endpoint's signing secret", "error", err)
		os.Exit(1)
	}
	if err := invokeOnce(context.Background(), fn, os.Stdin, os.Stdout); err != nil {
		logger.Error("serverless", "error", err)
		os.Exit(1)
	}
}

// invokeOnce decodes one event from in, invokes fn and encodes its
// response to out, as a runtime would.
func invokeOnce(ctx context.Context, fn *function, in io.Reader, out io.Writer) error {
	var req request
	if err := json.NewDecoder(in).Decode(&req); err != nil {
		return fmt.Errorf("decoding the event: %w", err)
	}
	resp, err := fn.invoke(ctx, req)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(resp)
}
