# Developer commands. CI runs .ci/run, which runs these and more.
STATICCHECK_VERSION := v0.8.2
FUZZTIME ?= 20s

.PHONY: test bench lint fuzz demo

demo:
	go run ./examples/quickstart

test:
	go test -race ./...

bench:
	go test -run '^$$' -bench . -benchmem . ./pgxstore

lint:
	gofmt -l . | tee /dev/stderr | (! read)
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

FUZZ_TARGETS := FuzzVerify FuzzParseEvent FuzzEventData FuzzBackfillAnswer FuzzHandler FuzzFastDecode FuzzStorableJSON

fuzz:
	for target in $(FUZZ_TARGETS); do \
		go test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) . || exit 1; \
	done
	cd examples/frameworks && go test -run '^$$' -fuzz '^FuzzHandle$$' -fuzztime $(FUZZTIME) ./serverless
