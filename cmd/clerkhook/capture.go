package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// A capture is one request as someone captured it, for "clerkhook verify".
type capture struct {
	// format says how the capture was written.
	format string
	// request is the method and target of a capture in wire format.
	request string
	header  http.Header
	body    []byte
	// notes say what was done to read the capture that may explain a
	// failure.
	notes []string
}

// parseCapture reads a request in HTTP/1.1 wire format (what nc -l, a proxy
// or httputil.DumpRequest writes, with CRLF or LF line endings, the body
// plain or chunked) or a JSON object of its headers and body (what
// serverless platforms log).
func parseCapture(data []byte) (*capture, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, errors.New("the capture is empty")
	}
	if trimmed[0] == '{' {
		return parseJSONCapture(trimmed)
	}
	return parseWireCapture(trimmed)
}

func parseWireCapture(data []byte) (*capture, error) {
	br := bufio.NewReader(bytes.NewReader(data))
	req, err := http.ReadRequest(br)
	if err != nil {
		// The error quotes the line it could not read, which may be
		// the body's.
		return nil, errors.New("the capture is neither an HTTP/1.1 request (request line, headers, blank line, body) nor a JSON object of headers and body")
	}
	c := &capture{format: "HTTP/1.1 wire format", request: req.Method + " " + req.RequestURI, header: req.Header}
	chunked := len(req.TransferEncoding) > 0
	c.body, err = io.ReadAll(req.Body)
	if err != nil {
		if chunked {
			return nil, fmt.Errorf("the chunked body cannot be read (%v): the capture is cut short, or its line endings were changed", err)
		}
		return nil, fmt.Errorf("the body is shorter than its Content-Length of %d: the capture is cut short, or its line endings were changed", req.ContentLength)
	}
	rest, _ := io.ReadAll(br)
	switch {
	case chunked:
		c.notes = append(c.notes, "the body was sent chunked; its chunks are joined")
	case req.ContentLength <= 0 && len(rest) > 0:
		c.body, rest = rest, nil
		c.notes = append(c.notes, "the request has neither Content-Length nor chunked encoding; the rest of the capture is taken as its body")
	}
	if len(rest) > 0 {
		c.notes = append(c.notes, fmt.Sprintf("%d bytes after the body are ignored (added by the capture or an editor)", len(rest)))
	}
	return c, nil
}

// jsonCapture is a request as serverless platforms log it: AWS API Gateway
// and Lambda function URLs, Netlify and Vercel functions write these names.
type jsonCapture struct {
	Headers           map[string]json.RawMessage `json:"headers"`
	MultiValueHeaders map[string][]string        `json:"multiValueHeaders"`
	Body              json.RawMessage            `json:"body"`
	IsBase64Encoded   bool                       `json:"isBase64Encoded"`
}

func parseJSONCapture(data []byte) (*capture, error) {
	var jc jsonCapture
	if err := json.Unmarshal(data, &jc); err != nil {
		return nil, fmt.Errorf("the capture is not a JSON object of headers and body: %v", err)
	}
	if jc.Headers == nil && jc.MultiValueHeaders == nil {
		return nil, errors.New(`the JSON capture has no "headers" object`)
	}
	c := &capture{format: "JSON", header: http.Header{}}
	for name, raw := range jc.Headers {
		var one string
		var many []string
		switch {
		case json.Unmarshal(raw, &one) == nil:
			c.header.Add(name, one)
		case json.Unmarshal(raw, &many) == nil:
			for _, v := range many {
				c.header.Add(name, v)
			}
		default:
			return nil, fmt.Errorf("the JSON capture's header %q is neither a string nor a list of strings", name)
		}
	}
	for name, values := range jc.MultiValueHeaders {
		// Platforms that write both write the same headers twice.
		if _, seen := jc.Headers[name]; seen {
			continue
		}
		for _, v := range values {
			c.header.Add(name, v)
		}
	}
	var body string
	switch {
	case len(jc.Body) == 0 || string(jc.Body) == "null":
		c.notes = append(c.notes, `the JSON capture has no "body"`)
	case json.Unmarshal(jc.Body, &body) == nil:
		c.body = []byte(body)
	default:
		c.body = bytes.Clone(jc.Body)
		c.notes = append(c.notes, `the "body" is a JSON value, not a string: it was parsed before it was logged, and its bytes are taken as they appear in the capture`)
	}
	if jc.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(body))
		if err != nil {
			return nil, errors.New(`the "body" is not base64, although "isBase64Encoded" is true`)
		}
		c.body = decoded
		c.notes = append(c.notes, "the body was base64-encoded by the platform; it is decoded")
	}
	return c, nil
}
