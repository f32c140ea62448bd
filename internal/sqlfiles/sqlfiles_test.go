package sqlfiles_test

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/clerkhook/clerkhook/internal/sqlfiles"
)

func TestRead(t *testing.T) {
	for _, c := range []struct {
		name  string
		files fstest.MapFS
		want  []sqlfiles.Migration
	}{
		{"sorted by version, other files left out", fstest.MapFS{
			"0002_b.sql": {Data: []byte("B")},
			"0001_a.sql": {Data: []byte("A")},
			"README.md":  {Data: []byte("not a migration")},
		}, []sqlfiles.Migration{{Version: 1, Name: "0001_a.sql", SQL: "A"}, {Version: 2, Name: "0002_b.sql", SQL: "B"}}},
		{"none", fstest.MapFS{}, []sqlfiles.Migration{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := sqlfiles.Read(c.files)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
	_, err := sqlfiles.Read(fstest.MapFS{"create_tables.sql": {Data: []byte("A")}})
	assert.ErrorContains(t, err, "does not start with a version")
}
