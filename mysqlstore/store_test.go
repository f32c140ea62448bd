package mysqlstore_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/clerkhook/clerkhook/clerkhooktest"
	"github.com/clerkhook/clerkhook/mysqlstore"
)

func TestConformance(t *testing.T) {
	db := testDatabase(t)
	s := newStore(t, db)
	clerkhooktest.TestUserStore(t, func(*testing.T) clerkhooktest.Store { return s })
}

func TestMigrateTwice(t *testing.T) {
	db := testDatabase(t)
	newStore(t, db)
	newStore(t, db)
}

func TestParseURL(t *testing.T) {
	c, err := mysqlstore.ParseURL("mysql://app:s3cret@db.internal:3307/clerk")
	if assert.NoError(t, err) {
		assert.Equal(t, "app", c.User)
		assert.Equal(t, "s3cret", c.Passwd)
		assert.Equal(t, "db.internal:3307", c.Addr)
		assert.Equal(t, "clerk", c.DBName)
	}
	c, err = mysqlstore.ParseURL("mysql://root@127.0.0.1/test")
	if assert.NoError(t, err) {
		assert.Equal(t, "127.0.0.1:3306", c.Addr)
	}
	for _, bad := range []string{"postgres://x@h/db", "mysql://root@127.0.0.1:3306/", "mysql://root@127.0.0.1/test?tls=true", "mysql:///test"} {
		_, err := mysqlstore.ParseURL(bad)
		assert.ErrorIs(t, err, mysqlstore.ErrInvalidURL, bad)
	}
}
