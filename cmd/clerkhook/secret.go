package main

import (
	"context"
	"fmt"
	"io"

	"github.com/clerkhook/clerkhook/clerkhooktest"
)

// runSecret prints a new signing secret.
func runSecret(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("secret", "", `Secret prints a new random webhook signing secret in the form the Clerk
Dashboard shows, "whsec_" and base64, for "clerkhook serve" and
"clerkhook send" or for tests. Endpoints in Clerk have a secret of their
own: find it in the Clerk Dashboard, Webhooks, your endpoint, Signing
Secret.`)
	if code, ok := f.parse(args, stdout, stderr); !ok {
		return code
	}
	fmt.Fprintln(stdout, clerkhooktest.NewSecret())
	return exitOK
}
