package clerkhook_test

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/clerkhook/clerkhook"
)

func ExampleVerifier_Verify() {
	const secret = "whsec_MfKQ9r8GzpQqlhN3mEWcp3Ja7rYmT0xk" // from the Clerk Dashboard
	signedAt := time.Unix(1735689600, 0)

	// Sign a delivery the way Svix does.
	body := []byte(`{"data":{"id":"user_29w83sxmDNGwOuEthce5gg56FcC"},"object":"event","type":"user.created"}`)
	signer, _ := standardwebhooks.NewWebhook(secret)
	signature, _ := signer.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", signedAt, body)
	headers := http.Header{}
	headers.Set("svix-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	headers.Set("svix-timestamp", "1735689600")
	headers.Set("svix-signature", signature)

	// A fixed clock stands in for time.Now so the output is stable.
	v, err := clerkhook.NewVerifier(secret, clerkhook.WithClock(func() time.Time { return signedAt.Add(time.Minute) }))
	if err != nil {
		fmt.Println(err)
		return
	}

	fmt.Println("authentic:", v.Verify(body, headers) == nil)
	fmt.Println("delivery:", clerkhook.DeliveryID(headers))

	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-3] = 'X'
	err = v.Verify(tampered, headers)
	fmt.Println(errors.Is(err, clerkhook.ErrNoMatchingSignature), err)

	// Output:
	// authentic: true
	// delivery: msg_p5jXN8AQM9LWM0D4loKWxJek
	// true clerkhook: no matching signature in svix-signature
}

func ExampleNewVerifier() {
	// While a secret is being rotated, deliveries may be signed with either.
	_, err := clerkhook.NewVerifier(
		"whsec_TnpE4cNeOi4W8hqD8xW1VvL0kHhWcbXy",
		clerkhook.WithAdditionalSecrets("whsec_MfKQ9r8GzpQqlhN3mEWcp3Ja7rYmT0xk"),
		clerkhook.WithTolerance(2*time.Minute),
	)
	fmt.Println(err)

	// A secret damaged in copying is refused at startup, without echoing it.
	_, err = clerkhook.NewVerifier("whsec_TnpE4cNeOi4W8hqD8xW1VvL0kHhWcbX")
	fmt.Println(errors.Is(err, clerkhook.ErrInvalidSecret), err)

	// Output:
	// <nil>
	// true clerkhook: invalid signing secret: the secret is not standard base64 after the optional whsec_ prefix
}
