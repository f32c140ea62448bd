package main

import (
	"testing"

	"github.com/clerkhook/clerkhook/examples/frameworks/internal/routertest"
)

func TestRouter(t *testing.T) {
	routertest.Run(t, newRouter)
}
