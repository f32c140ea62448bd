# Developer commands. CI runs .ci/run, which runs these and more.
STATICCHECK_VERSION := v0.8.2
FUZZTIME ?= 20s

.PHONY: test bench lint fuzz demo

demo:
	go run ./examples/quickstart

test:
	go test -race ./...

bench:
	go test -run '^$$' -bench . -benchmem ./...

lint:
	gofmt -l . | tee /dev/stderr | (! read)
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

fuzz:
	go test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME) .
	go test -run '^$$' -fuzz '^FuzzParseEvent$$' -fuzztime $(FUZZTIME) .
