// Package exampletls gives the examples lws's TLS flags: -s serves TLS
// with a self-signed certificate made at start (as lws's minimal examples
// do with theirs), -C and -K with given certificate and key files.
package exampletls

import (
	"crypto/tls"
	"flag"
	"time"

	"github.com/golws/lws"
	"github.com/golws/lws/internal/selfsigned"
)

// Flags are the TLS command-line flags.
type Flags struct {
	SelfSigned bool
	Cert, Key  string
}

// Register adds -s, -C and -K to the default flag set.
func Register() *Flags {
	f := &Flags{}
	flag.BoolVar(&f.SelfSigned, "s", false, "serve TLS with a self-signed certificate made at start")
	flag.StringVar(&f.Cert, "C", "", "serve TLS with this PEM certificate file (with -K)")
	flag.StringVar(&f.Key, "K", "", "the PEM private key file of -C")
	return f
}

// Apply configures info for TLS as the flags ask and returns the URL
// scheme to print: "https" and "wss" with TLS, "http" and "ws" without.
func (f *Flags) Apply(info *lws.VhostInfo) (web, ws string, err error) {
	switch {
	case f.Cert != "":
		info.SSLCertFilepath, info.SSLPrivateKeyFilepath = f.Cert, f.Key
	case f.SelfSigned:
		certPEM, keyPEM, err := selfsigned.Generate(100*365*24*time.Hour, "localhost", "127.0.0.1", "::1")
		if err != nil {
			return "", "", err
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return "", "", err
		}
		info.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	default:
		return "http", "ws", nil
	}
	return "https", "wss", nil
}
