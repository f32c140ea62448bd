package mysqlstore

import (
	"errors"
	"net"
	"net/url"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// ErrInvalidURL is matched by the error [ParseURL] returns for a URL it
// cannot read.
var ErrInvalidURL = errors.New("mysqlstore: invalid database URL")

// ParseURL returns the driver configuration of a URL of the form
// mysql://user:pass@host:port/db (port 3306 by default), the form of
// "clerkhook serve -database-url", for [mysql.NewConnector]. The error
// never quotes the URL, which holds the password.
func ParseURL(rawURL string) (*mysql.Config, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "mysql" || u.Host == "" || u.RawQuery != "" {
		return nil, ErrInvalidURL
	}
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" || strings.Contains(db, "/") {
		return nil, ErrInvalidURL
	}
	c := mysql.NewConfig()
	c.User = u.User.Username()
	c.Passwd, _ = u.User.Password()
	c.Net = "tcp"
	c.Addr = u.Host
	if u.Port() == "" {
		c.Addr = net.JoinHostPort(u.Hostname(), "3306")
	}
	c.DBName = db
	return c, nil
}
