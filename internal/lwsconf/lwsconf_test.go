package lwsconf

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The configurations lws ships and documents (lwsws/etc-lwsws-conf-EXAMPLE,
// lwsws/etc-lwsws-conf.d-localhost-EXAMPLE and READMEs/README.lwsws.md).

const globalExample = `# these are the server global settings
# stuff related to vhosts should go in one
# file per vhost in ../conf.d/

{
  "global": {
   "uid": "48",
   "gid": "48",
   "interface": "eth0",
   "count-threads": "1",
   "server-string": "lwsws",
   "ws-pingpong-secs": "200",
   "init-ssl": "yes"
 }
}
`

const readmeGlobal = `	# these are the server global settings
	# stuff related to vhosts should go in one
	# file per vhost in ../conf.d/

	{
	  "global": {
	   "username": "apache",
	   "groupname": "apache",
	   "count-threads": "1",
	   "server-string": "myserver v1", # returned in http headers
	   "ws-pingpong-secs": "200", # confirm idle established ws connections this often
	   "init-ssl": "yes",
	   "reject-service-keywords": [{
	        "scumbot": "404 Not Found"
	   }],
	   "timeout-secs": "5"
	 }
	}
`

const localhostExample = `{
 "vhosts": [ {
     "name": "localhost",
     "port": "7681",
     "interface": "lo",
#     "host-ssl-key":  "/etc/pki/tls/private/libwebsockets.org.key",
#     "host-ssl-cert": "/etc/pki/tls/certs/libwebsockets.org.crt",
#     "host-ssl-ca":   "/etc/pki/tls/certs/libwebsockets.org.cer",
     "access-log": "/var/log/lwsws/test-access-log",
#     "sts": "on",
     "mounts": [{
       "mountpoint": "/",
       "origin": "file://_lws_ddir_/libwebsockets-test-server",
       "default": "test.html",
       "cache-max-age": "60",
       "cache-reuse": "1",
       "cache-revalidate": "1",
       "cache-intermediaries": "0"
       }, {
        "mountpoint": "/server-status",
        "origin": "file://_lws_ddir_/libwebsockets-test-server/server-status",
        "default": "server-status.html"
	}, {
	"mountpoint": "/testcgi",
	"origin": "cgi://_lws_ddir_/libwebsockets-test-server/lws-cgi-test.sh"

       }, {
        "mountpoint": "/formtest",
        "origin": "callback://protocol-post-demo" 
       }],
     # which protocols are enabled for this vhost, and optional
     # vhost-specific config options for the protocol
     #
     "ws-protocols": [{
       "lws-meta": {
         "status": "ok"
       },
       "dumb-increment-protocol": {
         "status": "ok"
       },
       "lws-mirror-protocol": {
         "status": "ok"
       },
       "lws-status": {
         "status": "ok"
       },
       "protocol-post-demo": {
         "status": "ok"
       },
       "lws-server-status": {
         "status": "ok",
	 "update-ms": "5000"
       }
     }]
    }
  ]
}
`

const warmcatExample = `	{
		"vhosts": [{
			"name": "warmcat.com",
			"port": "443",
			"interface": "eth0",  # optional
			"host-ssl-key": "/etc/pki/tls/private/warmcat.com.key",  # if given enable ssl
			"host-ssl-cert": "/etc/pki/tls/certs/warmcat.com.crt",
			"host-ssl-ca": "/etc/pki/tls/certs/warmcat.com.cer",
			"mounts": [{  # autoserve
				"mountpoint": "/",
				"origin": "file:///var/www/warmcat.com",
				"default": "index.html"
			}]
		}]
	}
`

const multiVhostExample = `	{
	 "vhosts": [ {
	     "name": "localhost",
	     "port": "443",
	     "host-ssl-key":  "/etc/pki/tls/private/libwebsockets.org.key",
	     "host-ssl-cert": "/etc/pki/tls/certs/libwebsockets.org.crt",
	     "host-ssl-ca":   "/etc/pki/tls/certs/libwebsockets.org.cer",
	     "mounts": [{
	       "mountpoint": "/",
	       "origin": "file:///var/www/libwebsockets.org",
	       "default": "index.html"
	       }, {
	        "mountpoint": "/testserver",
	        "origin": "file:///usr/local/share/libwebsockets-test-server",
	        "default": "test.html"
	       }],
	     # which protocols are enabled for this vhost, and optional
	     # vhost-specific config options for the protocol
	     #
	     "ws-protocols": [{
	       "warmcat,timezoom": {
	         "status": "ok"
	       }
	     }]
	    },
	    {
	    "name": "localhost",
	    "port": "7681",
	     "host-ssl-key":  "/etc/pki/tls/private/libwebsockets.org.key",
	     "host-ssl-cert": "/etc/pki/tls/certs/libwebsockets.org.crt",
	     "host-ssl-ca":   "/etc/pki/tls/certs/libwebsockets.org.cer",
	     "mounts": [{
	       "mountpoint": "/",
	       "origin": ">https://localhost"
	     }]
	   },
	    {
	    "name": "localhost",
	    "port": "80",
	     "mounts": [{
	       "mountpoint": "/",
	       "origin": ">https://localhost"
	     }]
	   }
	
	  ]
	}
`

// The README's fallback and raw vhost fragments, each in a vhost.
const rawExamples = `{ "vhosts": [
	{
	"name": "raw", "port": "9000",
	"listen-accept-role":		"raw-proxy",
	"listen-accept-protocol":	"myprotocol",
	"apply-listen-accept":		"1"
	}, {
	"name": "fallback", "port": "443",
	"listen-accept-role":		"raw-proxy",
	"listen-accept-protocol":	"myprotocol",
	"fallback-listen-accept":	"1",
	"allow-non-tls":		"1"
	}, {
	"name": "redirect", "port": "444",
	"allow-non-tls":		"1",
	"redirect-http":		"1",
	}, {
	"name": "http-on-https", "port": "445",
	"allow-non-tls":		"1",
	"allow-http-on-https":		"1"
	}
]}
`

// The README's other mount and vhost options.
const mountOptionsExample = `{ "vhosts": [{
	"name": "example.com", "port": "443",
	"headers": [{
		"Content-Security-Policy": "script-src 'self'",
		"X-Content-Type-Options": "nosniff",
		"X-XSS-Protection": "1; mode=block",
		"X-Frame-Options": "SAMEORIGIN"
	}],
	"ssl-option-set": "268435456",
	"ssl-option-set": "4",
	"keepalive_timeout": "60",
	"client-cert-required": "1",
	"ipv6only": "off",
	"noipv6": "on",
	"mounts": [{
		"mountpoint": "/git",
		"origin": "cgi:///var/www/cgi-bin/cgit",
		"default": "/",
		"cgi-env": [{
			"CGIT_CONFIG": "/etc/cgitrc/libwebsockets.org"
		}],
		"cgi-timeout": "30"
	}, {
		"mountpoint": "/stuff",
		"origin": "callback://myprotocol",
		"pmo": [{
			"myname": "myvalue"
		}]
	}, {
		"mountpoint": "/",
		"origin": "file:///var/www/mysite.com",
		"cache-max-age": "60",      # seconds
		"cache-reuse": "1",         # allow reuse at client at all
		"cache-revalidate": "1",    # check it with server each time
		"cache-intermediaries": "1", # allow intermediary caches to hold
		"extra-mimetypes": {
			".zip": "application/zip",
			".doc": "text/evil"
		}
	}, {
		"mountpoint": "/basic-auth",
		"origin": "file://_lws_ddir_/libwebsockets-test-server/private",
		"basic-auth": "/var/www/balogins-private"
	}, {
		"mountpoint": "/proxytest",
		"origin": "https://libwebsockets.org"
	}]
}]}
`

// clearPos zeroes every position and Set map, so tests can compare
// contents alone.
func clearPos(c *Config) {
	c.Global.Set = nil
	c.Global.RejectServiceKeywords = clearKV(c.Global.RejectServiceKeywords)
	for i := range c.Vhosts {
		v := &c.Vhosts[i]
		v.Pos, v.Set = Pos{}, nil
		v.Headers = clearKV(v.Headers)
		for j := range v.DHT {
			v.DHT[j] = clearKV(v.DHT[j])
		}
		for j := range v.Mounts {
			m := &v.Mounts[j]
			m.Pos, m.Set = Pos{}, nil
			m.CGIEnv = clearKV(m.CGIEnv)
			m.ExtraMimetypes = clearKV(m.ExtraMimetypes)
			m.Interpret = clearKV(m.Interpret)
			m.Headers = clearKV(m.Headers)
			m.PMO = clearKV(m.PMO)
		}
		for j := range v.WSProtocols {
			v.WSProtocols[j].Pos = Pos{}
			clearOptions(v.WSProtocols[j].Options)
		}
	}
}

func clearKV(kv []KV) []KV {
	for i := range kv {
		kv[i].Pos = Pos{}
	}
	return kv
}

func clearOptions(o []Option) {
	for i := range o {
		o[i].Pos = Pos{}
		clearOptions(o[i].Options)
	}
}

func kvs(pairs ...string) []KV {
	var out []KV
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, KV{Key: pairs[i], Value: pairs[i+1]})
	}
	return out
}

func status(names ...string) []Protocol {
	var out []Protocol
	for _, n := range names {
		out = append(out, Protocol{Name: n, Options: []Option{{Name: "status", Value: "ok"}}})
	}
	return out
}

// vh is a Vhost with lws's defaults.
func vh(v Vhost) Vhost {
	if v.KeepaliveTimeout == 0 {
		v.KeepaliveTimeout = 5
	}
	return v
}

func parseOne(t *testing.T, name, src string, opts Options) (*Config, error) {
	t.Helper()
	cfg := &Config{}
	err := Parse(name, []byte(src), opts, cfg)
	return cfg, err
}

func TestExamples(t *testing.T) {
	noGlobal := Global{UID: -1, GID: -1}
	tests := []struct {
		name  string
		src   string
		want  Config
		warns []string
	}{
		{
			name: "etc-lwsws-conf-EXAMPLE",
			src:  globalExample,
			want: Config{Global: Global{UID: 48, GID: 48, CountThreads: 1, ServerString: "lwsws", WSPingPongSecs: 200, InitSSL: true}},
			warns: []string{
				`conf:9:4: unknown key "interface" in global ("interface" is a vhost key)`,
			},
		},
		{
			name: "README global",
			src:  readmeGlobal,
			want: Config{Global: Global{
				UID: -1, GID: -1, Username: "apache", Groupname: "apache", CountThreads: 1,
				ServerString: "myserver v1", WSPingPongSecs: 200, InitSSL: true, TimeoutSecs: 5,
				RejectServiceKeywords: kvs("scumbot", "404 Not Found"),
			}},
		},
		{
			name: "etc-lwsws-conf.d-localhost-EXAMPLE",
			src:  localhostExample,
			want: Config{Global: noGlobal, Vhosts: []Vhost{vh(Vhost{
				Name: "localhost", Port: 7681, Interface: "lo", AccessLog: "/var/log/lwsws/test-access-log",
				Mounts: []Mount{
					{Mountpoint: "/", Origin: "file:///usr/share/libwebsockets-test-server", Default: "test.html",
						CacheMaxAge: 60, CacheReuse: true, CacheRevalidate: true},
					{Mountpoint: "/server-status", Origin: "file:///usr/share/libwebsockets-test-server/server-status",
						Default: "server-status.html"},
					{Mountpoint: "/testcgi", Origin: "cgi:///usr/share/libwebsockets-test-server/lws-cgi-test.sh"},
					{Mountpoint: "/formtest", Origin: "callback://protocol-post-demo", Protocol: "protocol-post-demo"},
				},
				WSProtocols: append(status("lws-meta", "dumb-increment-protocol", "lws-mirror-protocol", "lws-status", "protocol-post-demo"),
					Protocol{Name: "lws-server-status", Options: []Option{{Name: "status", Value: "ok"}, {Name: "update-ms", Value: "5000"}}}),
			})}},
		},
		{
			name: "README warmcat.com",
			src:  warmcatExample,
			want: Config{Global: noGlobal, Vhosts: []Vhost{vh(Vhost{
				Name: "warmcat.com", Port: 443, Interface: "eth0",
				HostSSLKey:  "/etc/pki/tls/private/warmcat.com.key",
				HostSSLCert: "/etc/pki/tls/certs/warmcat.com.crt",
				HostSSLCA:   "/etc/pki/tls/certs/warmcat.com.cer",
				Mounts:      []Mount{{Mountpoint: "/", Origin: "file:///var/www/warmcat.com", Default: "index.html"}},
			})}},
		},
		{
			name: "README multiple vhosts",
			src:  multiVhostExample,
			want: Config{Global: noGlobal, Vhosts: []Vhost{
				vh(Vhost{
					Name: "localhost", Port: 443,
					HostSSLKey:  "/etc/pki/tls/private/libwebsockets.org.key",
					HostSSLCert: "/etc/pki/tls/certs/libwebsockets.org.crt",
					HostSSLCA:   "/etc/pki/tls/certs/libwebsockets.org.cer",
					Mounts: []Mount{
						{Mountpoint: "/", Origin: "file:///var/www/libwebsockets.org", Default: "index.html"},
						{Mountpoint: "/testserver", Origin: "file:///usr/local/share/libwebsockets-test-server", Default: "test.html"},
					},
					WSProtocols: status("warmcat,timezoom"),
				}),
				vh(Vhost{
					Name: "localhost", Port: 7681,
					HostSSLKey:  "/etc/pki/tls/private/libwebsockets.org.key",
					HostSSLCert: "/etc/pki/tls/certs/libwebsockets.org.crt",
					HostSSLCA:   "/etc/pki/tls/certs/libwebsockets.org.cer",
					Mounts:      []Mount{{Mountpoint: "/", Origin: ">https://localhost"}},
				}),
				vh(Vhost{Name: "localhost", Port: 80, Mounts: []Mount{{Mountpoint: "/", Origin: ">https://localhost"}}}),
			}},
		},
		{
			name: "README fallback and raw vhosts",
			src:  strings.Replace(rawExamples, `"redirect-http":		"1",`, `"redirect-http":		"1"`, 1),
			want: Config{Global: noGlobal, Vhosts: []Vhost{
				vh(Vhost{Name: "raw", Port: 9000, ListenAcceptRole: "raw-proxy", ListenAcceptProtocol: "myprotocol", ApplyListenAccept: true}),
				vh(Vhost{Name: "fallback", Port: 443, ListenAcceptRole: "raw-proxy", ListenAcceptProtocol: "myprotocol",
					FallbackListenAccept: true, AllowNonTLS: true}),
				vh(Vhost{Name: "redirect", Port: 444, AllowNonTLS: true, RedirectHTTP: true}),
				vh(Vhost{Name: "http-on-https", Port: 445, AllowNonTLS: true, AllowHTTPOnHTTPS: true}),
			}},
		},
		{
			name: "README mount and vhost options",
			src:  mountOptionsExample,
			want: Config{Global: noGlobal, Vhosts: []Vhost{{
				Name: "example.com", Port: 443, KeepaliveTimeout: 60, ClientCertRequired: true,
				IPv6Only: "off", NoIPv6: true, SSLOptionSet: []int{268435456, 4},
				Headers: kvs("Content-Security-Policy", "script-src 'self'", "X-Content-Type-Options", "nosniff",
					"X-XSS-Protection", "1; mode=block", "X-Frame-Options", "SAMEORIGIN"),
				Mounts: []Mount{
					{Mountpoint: "/git", Origin: "cgi:///var/www/cgi-bin/cgit", Default: "/",
						CGIEnv: kvs("CGIT_CONFIG", "/etc/cgitrc/libwebsockets.org"), CGITimeout: 30},
					{Mountpoint: "/stuff", Origin: "callback://myprotocol", Protocol: "myprotocol", PMO: kvs("myname", "myvalue")},
					{Mountpoint: "/", Origin: "file:///var/www/mysite.com", CacheMaxAge: 60, CacheReuse: true,
						CacheRevalidate: true, CacheIntermediaries: true,
						ExtraMimetypes: kvs(".zip", "application/zip", ".doc", "text/evil")},
					{Mountpoint: "/basic-auth", Origin: "file:///usr/share/libwebsockets-test-server/private",
						BasicAuth: "/var/www/balogins-private"},
					{Mountpoint: "/proxytest", Origin: "https://libwebsockets.org"},
				},
			}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseOne(t, "conf", tt.src, Options{DataDir: "/usr/share"})
			if err != nil {
				t.Fatal(err)
			}
			var warns []string
			for _, w := range cfg.Warnings {
				warns = append(warns, w.String())
			}
			if !reflect.DeepEqual(warns, tt.warns) {
				t.Errorf("warnings:\n got %q\nwant %q", warns, tt.warns)
			}
			cfg.Warnings = nil
			clearPos(cfg)
			tt.want.Files = []string{"conf"}
			if !reflect.DeepEqual(*cfg, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", *cfg, tt.want)
			}
		})
	}
}

// TestTrailingCommaIsAnError: the README's third raw example ends its
// fragment with a comma, which JSON (and lws) refuse once it is the last
// member.
func TestTrailingCommaIsAnError(t *testing.T) {
	_, err := parseOne(t, "raw", rawExamples, Options{})
	want := `raw:17:2: expected a string key after ','`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}

func TestPositions(t *testing.T) {
	cfg, err := parseOne(t, "conf.d/localhost", localhostExample, Options{DataDir: "/usr/share"})
	if err != nil {
		t.Fatal(err)
	}
	v := cfg.Vhosts[0]
	check := func(what string, got Pos, want string) {
		t.Helper()
		if got.String() != want {
			t.Errorf("%s at %s, want %s", what, got, want)
		}
	}
	check("vhost", v.Pos, "conf.d/localhost:2:14")
	check("name", v.Set["name"], "conf.d/localhost:3:6")
	check("mounts", v.Set["mounts"], "conf.d/localhost:11:6")
	check("mount 0", v.Mounts[0].Pos, "conf.d/localhost:11:17")
	check("mount 2", v.Mounts[2].Pos, "conf.d/localhost:23:5")
	check("mount 2 origin", v.Mounts[2].Set["origin"], "conf.d/localhost:25:2")
	check("protocol 0", v.WSProtocols[0].Pos, "conf.d/localhost:35:8")
	check("protocol 5 option 1", v.WSProtocols[5].Options[1].Pos, "conf.d/localhost:52:3")
	if _, ok := v.Set["host-ssl-key"]; ok {
		t.Error("a commented-out key is recorded as given")
	}
	if len(v.Set) != 6 {
		t.Errorf("Set = %v, want 6 keys", v.Set)
	}
	g, err := parseOne(t, "conf", readmeGlobal, Options{})
	if err != nil {
		t.Fatal(err)
	}
	check("reject keyword", g.Global.RejectServiceKeywords[0].Pos, "conf:14:10")
	check("server-string", g.Global.Set["server-string"], "conf:10:5")
}

func TestComments(t *testing.T) {
	src := "# leading comment\n{ # after brace\n \"vhosts\": [ # after bracket\n  {\"name\": \"a#b\", # the # in the string stays\n   \"port\": \"80\"# no space\n  }\n ]\n} # trailing comment"
	cfg, err := parseOne(t, "c", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Vhosts[0].Name; got != "a#b" {
		t.Errorf("name %q", got)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings %v", cfg.Warnings)
	}
	for _, empty := range []string{"", "  \n", "# only a comment\n# and another", "\ufeff# a BOM"} {
		cfg, err := parseOne(t, "e", empty, Options{})
		if err != nil || len(cfg.Vhosts) != 0 || len(cfg.Files) != 1 {
			t.Errorf("%q: %v %+v", empty, err, cfg)
		}
	}
}

func TestDataDir(t *testing.T) {
	src := `{"global": {"plugin-dir": "_lws_ddir_/plugins", "server-string": "x_lws_ddir_y_lws_ddir_"},
	"vhosts": [{"name": "_lws_ddir_", "port": "1", "_lws_ddir_": "1",
	  "mounts": [{"mountpoint": "/", "origin": "file://_lws_ddir_/www", "cgi-env": [{"_lws_ddir_": "_lws_ddir_"}]}],
	  "ws-protocols": [{"p": {"dir": "_lws_ddir_/p", "n": {"deep": "_lws_ddir_"}}}]}]}`
	cfg, err := parseOne(t, "c", src, Options{DataDir: "/opt/share"})
	if err != nil {
		t.Fatal(err)
	}
	g, v := cfg.Global, cfg.Vhosts[0]
	m := v.Mounts[0]
	p := v.WSProtocols[0]
	got := []string{g.PluginDirs[0], g.ServerString, v.Name, m.Origin, m.CGIEnv[0].Key, m.CGIEnv[0].Value,
		p.Options[0].Value, p.Options[1].Options[0].Value}
	want := []string{"/opt/share/plugins", "x/opt/sharey/opt/share", "/opt/share", "file:///opt/share/www", "_lws_ddir_",
		"/opt/share", "/opt/share/p", "/opt/share"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	// keys are never replaced: this one is unknown.
	if len(cfg.Warnings) != 1 || cfg.Warnings[0].Msg != `unknown key "_lws_ddir_" in vhost` {
		t.Errorf("warnings %v", cfg.Warnings)
	}
	// without a DataDir values are left alone
	cfg, err = parseOne(t, "c", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Vhosts[0].Mounts[0].Origin; got != "file://_lws_ddir_/www" {
		t.Errorf("origin %q", got)
	}
}

func TestBooleans(t *testing.T) {
	for _, tt := range []struct {
		val  string
		want bool
	}{
		{`"on"`, true}, {`"ON"`, true}, {`"yes"`, true}, {`"Yes"`, true}, {`"true"`, true}, {`"TRUE"`, true},
		{`"1"`, true}, {`"2"`, true}, {`"-1"`, true}, {`" 7"`, true}, {`"1x"`, true}, {`"007"`, true},
		{`true`, true}, {`1`, true}, {`3`, true}, {`1.5`, true},
		{`"0"`, false}, {`"off"`, false}, {`"no"`, false}, {`"false"`, false}, {`""`, false}, {`"00"`, false},
		{`"y"`, false}, {`"onn"`, false}, {`" on"`, false}, {`"x1"`, false}, {`"-0"`, false}, {`"0.5"`, false},
		{`false`, false}, {`0`, false}, {`0.5`, false},
	} {
		src := `{"vhosts": [{"port": "1", "sts": ` + tt.val + `}]}`
		cfg, err := parseOne(t, "b", src, Options{})
		if err != nil {
			t.Errorf("%s: %v", tt.val, err)
			continue
		}
		if got := cfg.Vhosts[0].STS; got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.val, got, tt.want)
		}
	}
}

func TestIntegers(t *testing.T) {
	for _, tt := range []struct {
		val  string
		want int
		err  string
	}{
		{`"443"`, 443, ""}, {`443`, 443, ""}, {`"+80"`, 80, ""}, {`"-1"`, -1, ""}, {`" 8080 "`, 8080, ""},
		{`"007"`, 7, ""}, {`-5`, -5, ""},
		{`"abc"`, 0, `i:1:22: expected an integer for "port", not "abc"`},
		{`""`, 0, `i:1:22: expected an integer for "port", not ""`},
		{`"443x"`, 0, `i:1:22: expected an integer for "port", not "443x"`},
		{`"0x1bb"`, 0, `i:1:22: expected an integer for "port", not "0x1bb"`},
		{`1.5`, 0, `i:1:22: expected an integer for "port", not "1.5"`},
		{`1e3`, 0, `i:1:22: expected an integer for "port", not "1e3"`},
		{`true`, 0, `i:1:22: expected an integer for "port", not "true"`},
		{`"99999999999999999999"`, 0, `i:1:22: expected an integer for "port": "99999999999999999999" is out of range`},
	} {
		src := `{"vhosts": [{"port": ` + tt.val + `}]}`
		cfg, err := parseOne(t, "i", src, Options{})
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%s: got error %v, want %s", tt.val, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.val, err)
			continue
		}
		if got := cfg.Vhosts[0].Port; got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.val, got, tt.want)
		}
	}
}

func TestScalarsFromJSONTypes(t *testing.T) {
	src := `{"global": {"uid": 0, "gid": 10, "init-ssl": true, "server-string": 42},
	"vhosts": [{"name": true, "port": 443, "noipv6": false, "unix-socket-perms": 1.5e2}]}`
	cfg, err := parseOne(t, "j", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	g, v := cfg.Global, cfg.Vhosts[0]
	if g.UID != 0 || g.GID != 10 || !g.InitSSL || g.ServerString != "42" {
		t.Errorf("global %+v", g)
	}
	if v.Name != "true" || v.Port != 443 || v.NoIPv6 || v.UnixSocketPerms != "1.5e2" {
		t.Errorf("vhost %+v", v)
	}
}

func TestStringEscapes(t *testing.T) {
	src := `{"vhosts": [{"port": "1", "name": "a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00\ud800x", "interface": "é"}]}`
	cfg, err := parseOne(t, "s", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Vhosts[0].Name, "a\"b\\c/d\b\f\n\r\té😀\ufffdx"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := cfg.Vhosts[0].Interface; got != "é" {
		t.Errorf("got %q", got)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"missing comma", "{\"vhosts\": [{\n  \"name\": \"a\"\n  \"port\": \"80\"\n}]}",
			`f:3:3: expected ',' or '}' after an object member`},
		{"missing comma in array", `{"vhosts": [{"port": "1"} {"port": "2"}]}`,
			`f:1:27: expected ',' or ']' after an array element`},
		{"missing colon", `{"vhosts" []}`, `f:1:11: expected ':' after the key "vhosts"`},
		{"trailing garbage", "{\"vhosts\": []}\n}", `f:2:1: expected end of file after the top-level object`},
		{"second object", "{}\n{}", `f:2:1: expected end of file after the top-level object`},
		{"not an object", `["vhosts"]`, `f:1:1: expected '{': a configuration file is one JSON object`},
		{"unterminated string", "{\"vhosts\": [{\"name\": \"abc}]}\n", `f:1:22: unterminated string`},
		{"unterminated string at EOF", `{"vhosts": [{"name": "abc`, `f:1:22: unterminated string`},
		{"unterminated key", `{"vhos`, `f:1:2: unterminated string`},
		{"backslash at EOF", `{"a\`, `f:1:2: unterminated string`},
		{"bad escape", `{"vhosts": [{"name": "a\qb"}]}`,
			`f:1:24: bad escape \q in string: '\' must be followed by one of " \ / b f n r t u`},
		{"bad unicode escape", `{"vhosts": [{"name": "a\u12g4"}]}`,
			`f:1:24: bad \u escape in string: want \u and four hex digits`},
		{"unexpected end", "{\"vhosts\": [\n", `f:2:1: expected a value, found end of file`},
		{"end in object", "{\"global\": {\"uid\": \"1\"", `f:1:23: expected ',' or '}' after an object member`},
		{"bare word", `{"global": {"init-ssl": yes}}`,
			`f:1:25: expected a value, found the bare word yes (values are quoted: "yes")`},
		{"illegal byte", `{"global": @}`, `f:1:12: expected a value, found "@"`},
		{"trailing comma in object", `{"global": {"uid": "1",}}`, `f:1:24: expected a string key after ','`},
		{"trailing comma in array", `{"vhosts": [{"port": "1"},]}`, `f:1:27: expected a value, found ']'`},
		{"unquoted key", `{global: {}}`, `f:1:2: expected a string key or '}' in an object`},
		{"malformed number", `{"global": {"uid": 01}}`, `f:1:20: malformed number "01"`},
		{"malformed number 2", `{"global": {"uid": -}}`, `f:1:20: malformed number "-"`},
		{"malformed number 3", `{"global": {"uid": 1.}}`, `f:1:20: malformed number "1."`},
		{"malformed number 4", `{"global": {"uid": 12abc}}`, `f:1:20: malformed number "12abc"`},
		{"wrong type: object for port", "{\"vhosts\": [{\n\t\"port\": {\"n\": 1}}]}",
			`f:2:10: expected a string value for "port"`},
		{"wrong type: array for name", `{"vhosts": [{"port": "1", "name": ["a"]}]}`,
			`f:1:35: expected a string value for "name"`},
		{"wrong type: null", `{"global": {"username": null}}`, `f:1:25: expected a string value for "username"`},
		{"wrong type: global", `{"global": []}`, `f:1:12: expected an object for "global"`},
		{"wrong type: vhosts", `{"vhosts": {"port": "1"}}`, `f:1:12: expected an array of vhost objects for "vhosts"`},
		{"wrong type: vhost", `{"vhosts": ["a"]}`, `f:1:13: expected an array of vhost objects for "vhosts"`},
		{"wrong type: mounts", `{"vhosts": [{"port": "1", "mounts": {}}]}`,
			`f:1:37: expected an array of mount objects for "mounts"`},
		{"wrong type: headers", `{"vhosts": [{"port": "1", "headers": {"a": "b"}}]}`,
			`f:1:38: expected an array of objects for "headers"`},
		{"wrong type: header value", `{"vhosts": [{"port": "1", "headers": [{"a": ["b"]}]}]}`,
			`f:1:45: expected a string value for "a"`},
		{"wrong type: extra-mimetypes", `{"vhosts": [{"port": "1", "mounts": [{"mountpoint": "/", "origin": "file:///", "extra-mimetypes": []}]}]}`,
			`f:1:99: expected an object for "extra-mimetypes"`},
		{"wrong type: ws-protocols", `{"vhosts": [{"port": "1", "ws-protocols": [{"p": "on"}]}]}`,
			`f:1:50: expected an object of options for protocol "p"`},
		{"wrong type: option", `{"vhosts": [{"port": "1", "ws-protocols": [{"p": {"o": [1]}}]}]}`,
			`f:1:56: expected a string or an object for option "o" of "p"`},
		{"wrong type: reject-service-keywords", `{"global": {"reject-service-keywords": ["bot"]}}`,
			`f:1:41: expected an array of objects for "reject-service-keywords"`},
		{"wrong type: boolean", `{"vhosts": [{"port": "1", "sts": {}}]}`, `f:1:34: expected a string value for "sts"`},
		{"wrong type: mount", `{"vhosts": [{"port": "1", "mounts": ["/"]}]}`,
			`f:1:38: expected an array of mount objects for "mounts"`},
		{"wrong type: ws-protocols array", `{"vhosts": [{"port": "1", "ws-protocols": {"p": {}}}]}`,
			`f:1:43: expected an array of objects for "ws-protocols"`},
		{"wrong type: ws-protocols element", `{"vhosts": [{"port": "1", "ws-protocols": ["p"]}]}`,
			`f:1:44: expected an array of objects for "ws-protocols"`},
		{"wrong type: dht", `{"vhosts": [{"port": "1", "dht": {}}]}`, `f:1:34: expected an array of objects for "dht"`},
		{"wrong type: dht element", `{"vhosts": [{"port": "1", "dht": [1]}]}`, `f:1:35: expected an array of objects for "dht"`},
		{"wrong type: dht value", `{"vhosts": [{"port": "1", "dht": [{"v": {}}]}]}`, `f:1:41: expected a string value for "v"`},
		{"wrong type: origin", `{"vhosts": [{"port": "1", "mounts": [{"origin": []}]}]}`, `f:1:49: expected a string value for "origin"`},
		{"wrong type: nested option", `{"vhosts": [{"port": "1", "ws-protocols": [{"p": {"o": {"x": null}}}]}]}`,
			`f:1:62: expected a string or an object for option "x" of "o"`},
		{"missing port", "{\"vhosts\": [\n  {\"name\": \"a\"},\n  {\"name\": \"b\", \"port\": \"80\"}]}",
			`f:2:3: vhost "a" needs a port (eg, 443)`},
		{"port zero", `{"vhosts": [{"port": "0"}]}`, `f:1:13: vhost "" needs a port (eg, 443)`},
		{"missing mountpoint", "{\"vhosts\": [{\"port\": \"80\", \"mounts\": [\n\t{\"origin\": \"file:///var/www\"}]}]}",
			`f:2:2: mount needs a "mountpoint"`},
		{"missing origin", "{\"vhosts\": [{\"port\": \"80\", \"mounts\": [\n\t{\"mountpoint\": \"/x\"}]}]}",
			`f:2:2: mount "/x" needs an "origin"`},
		{"bad origin scheme", "{\"vhosts\": [{\"port\": \"80\", \"mounts\": [{\"mountpoint\": \"/\",\n\t\"origin\": \"ftp://x\"}]}]}",
			`f:2:12: unsupported protocol:// in origin "ftp://x" (use one of http:// https:// file:// cgi:// >http:// >https:// callback:// gzip://)`},
		{"README's ^https://", `{"vhosts": [{"port": "80", "mounts": [{"mountpoint": "/", "origin": "^https://x"}]}]}`,
			`f:1:69: unsupported protocol:// in origin "^https://x" (use one of http:// https:// file:// cgi:// >http:// >https:// callback:// gzip://)`},
		{"bare path origin", `{"vhosts": [{"port": "80", "mounts": [{"mountpoint": "/", "origin": "/var/www"}]}]}`,
			`f:1:69: unsupported protocol:// in origin "/var/www" (use one of http:// https:// file:// cgi:// >http:// >https:// callback:// gzip://)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseOne(t, "f", tt.src, Options{})
			if err == nil {
				t.Fatalf("no error, want %s", tt.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not an *Error", err)
			}
			if err.Error() != tt.want {
				t.Errorf("got  %s\nwant %s", err, tt.want)
			}
		})
	}
}

func TestUnixSocketNeedsNoPort(t *testing.T) {
	cfg, err := parseOne(t, "u", `{"vhosts": [{"name": "u", "interface": "/run/lwsws.sock", "unix-socket": "1"}]}`, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v := cfg.Vhosts[0]; !v.UnixSocket || v.Port != 0 || v.Interface != "/run/lwsws.sock" {
		t.Errorf("%+v", v)
	}
}

func TestWarnings(t *testing.T) {
	src := `{
  "global": {
    "cpd-bypass": "1",
    "colour": "blue",
    "uid": "1", "uid": "2"
  },
  "vhosts": [{
    "port": "80", "port": "81", "port": "82",
    "keepalive-timeout": "10",
    "quic-mtu": "1200",
    "quic-whatever": "x",
    "onlyraw": "1",
    "mounts": [{
      "mountpoint": "/", "origin": "file:///x",
      "interpret": { ".shtml": "ssi" },
      "nonsense": "1"
    }]
  }],
  "vhost": []
}`
	cfg, err := parseOne(t, "w", src, Options{Unsupported: map[string]string{
		"global.cpd-bypass":       "there is no captive-portal detection",
		"vhosts.quic-mtu":         "QUIC is not served",
		"vhosts.quic-whatever":    "QUIC is not served",
		"vhosts.mounts.interpret": "PROCESS_HTML is not served",
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`w:3:5: key "cpd-bypass" is not supported by golws: there is no captive-portal detection`,
		`w:4:5: unknown key "colour" in global`,
		`w:5:17: key "uid" given twice (before at w:5:5); the last one counts`,
		`w:8:19: key "port" given twice (before at w:8:5); the last one counts`,
		`w:8:33: key "port" given twice (before at w:8:19); the last one counts`,
		`w:9:5: unknown key "keepalive-timeout" in vhost (the vhost key is "keepalive_timeout")`,
		`w:10:5: key "quic-mtu" is not supported by golws: QUIC is not served`,
		`w:11:5: key "quic-whatever" is not supported by golws: QUIC is not served`,
		`w:15:7: key "interpret" is not supported by golws: PROCESS_HTML is not served`,
		`w:16:7: unknown key "nonsense" in mount`,
		`w:12:5: key "onlyraw" is deprecated: use "apply-listen-accept"`,
		`w:19:3: unknown key "vhost" at the top level (the key is "vhosts")`,
	}
	var got []string
	for _, w := range cfg.Warnings {
		got = append(got, w.String())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	g, v := cfg.Global, cfg.Vhosts[0]
	if !g.CPDBypass || g.UID != 2 || v.Port != 82 || v.QUICMTU != 1200 || !v.ApplyListenAccept ||
		v.KeepaliveTimeout != 5 || len(v.Mounts[0].Interpret) != 1 {
		t.Errorf("values: %+v %+v", g, v)
	}
	if p := v.Set["port"]; p.String() != "w:8:33" {
		t.Errorf("Set[port] = %s, want the last one", p)
	}
}

func TestRepeatableKeys(t *testing.T) {
	src := `{"global": {"plugin-dir": "/a", "plugin-dir": "/b",
	  "reject-service-keywords": [{"bot1": "404 Not Found", "bot2": "403 Forbidden"}, {"bot3": "410 Gone"}]},
	"vhosts": [{"port": "1", "ssl-option-clear": "1", "ssl-option-clear": "2",
	  "ssl-client-option-set": "4", "ssl-client-option-clear": "8",
	  "mounts": [{"mountpoint": "/a", "origin": "file:///a"}],
	  "mounts": [{"mountpoint": "/b", "origin": "gzip:///b", "headers": [{"X-A": "1"}], "headers": [{"X-B": "2"}]}],
	  "ws-protocols": [{"p1": {}}, {"p2": {}, "p3": {}}],
	  "ws-protocols": [{"p4": {"a": {"b": {"c": "d"}}, "e": "f"}}]
	}]}`
	cfg, err := parseOne(t, "r", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings %v", cfg.Warnings)
	}
	clearPos(cfg)
	g, v := cfg.Global, cfg.Vhosts[0]
	if !reflect.DeepEqual(g.PluginDirs, []string{"/a", "/b"}) {
		t.Errorf("plugin dirs %q", g.PluginDirs)
	}
	if want := kvs("bot1", "404 Not Found", "bot2", "403 Forbidden", "bot3", "410 Gone"); !reflect.DeepEqual(g.RejectServiceKeywords, want) {
		t.Errorf("reject %v", g.RejectServiceKeywords)
	}
	if !reflect.DeepEqual(v.SSLOptionClear, []int{1, 2}) || !reflect.DeepEqual(v.SSLClientOptionSet, []int{4}) ||
		!reflect.DeepEqual(v.SSLClientOptionClear, []int{8}) || v.SSLOptionSet != nil {
		t.Errorf("ssl options %v %v %v %v", v.SSLOptionSet, v.SSLOptionClear, v.SSLClientOptionSet, v.SSLClientOptionClear)
	}
	if len(v.Mounts) != 2 || v.Mounts[1].Origin != "gzip:///b" || !reflect.DeepEqual(v.Mounts[1].Headers, kvs("X-A", "1", "X-B", "2")) {
		t.Errorf("mounts %+v", v.Mounts)
	}
	want := []Protocol{{Name: "p1"}, {Name: "p2"}, {Name: "p3"}, {Name: "p4", Options: []Option{
		{Name: "a", Options: []Option{{Name: "b", Options: []Option{{Name: "c", Value: "d"}}}}},
		{Name: "e", Value: "f"},
	}}}
	if !reflect.DeepEqual(v.WSProtocols, want) {
		t.Errorf("protocols\n got %+v\nwant %+v", v.WSProtocols, want)
	}
}

func TestEveryKey(t *testing.T) {
	src := `{
"global": {"uid": "1", "gid": "2", "username": "u", "groupname": "g", "count-threads": "3",
  "count-async-threads": "4", "init-ssl": "1", "server-string": "s", "plugin-dir": "/p",
  "ws-pingpong-secs": "5", "timeout-secs": "6", "reject-service-keywords": [{"k": "v"}],
  "default-alpn": "http/1.1", "ip-limit-ah": "7", "ip-limit-wsi": "8", "rlimit-nofile": "9",
  "cpd-bypass": "1", "quic-pad-crypto": "1", "allow-early-data": "1", "quic-only-latest": "1",
  "quic-early-key-update": "1", "ka-time": "20", "ka-probes": "3", "ka-interval": "5",
  "send-queue-limit": "32768", "http-body-timeout-secs": "30", "http-body-min-rate": "500",
  "file-read-workers": "2"},
"vhosts": [{"name": "n", "port": "10", "interface": "i", "unix-socket": "0", "bind-iface": "1", "unix-socket-perms": "a:b",
  "sts": "1", "host-ssl-key": "k", "host-ssl-cert": "c", "host-ssl-ca": "ca", "access-log": "l",
  "mounts": [{"mountpoint": "/", "origin": "callback://x", "default": "d", "protocol": "pr",
    "auth-mask": "268435456", "basic-auth": "ba", "cgi-timeout": "11", "cgi-env": [{"E": "v"}],
    "cgi-chroot": "cr", "cgi-chdir": "cd", "cache-max-age": "12", "cache-reuse": "1",
    "cache-revalidate": "1", "cache-intermediaries": "1", "cache-no": "1",
    "extra-mimetypes": {".x": "t/x"}, "interpret": {".y": "p"}, "headers": [{"H": "v"}],
    "keepalive-timeout": "13", "pmo": [{"o": "v"}], "exact-match": "1", "append-path": "1",
    "no-ws-upgrades": "1", "interceptor-path": "/ip"}],
  "ws-protocols": [{"p": {"o": "v"}}],
  "keepalive_timeout": "14", "enable-client-ssl": "1", "ciphers": "ci", "tls13-ciphers": "t13",
  "ecdh-curve": "X25519", "client-ssl-key": "ck", "client-ssl-cert": "cc", "client-ssl-ca": "cca",
  "client-ssl-ciphers": "cci", "client-tls13-ciphers": "ct13", "client-ecdh-curve": "P-256",
  "noipv6": "1", "ipv6only": "on", "ssl-option-set": "15", "ssl-option-clear": "16",
  "ssl-client-option-set": "17", "ssl-client-option-clear": "18", "headers": [{"V": "w"}],
  "client-cert-required": "1", "ignore-missing-cert": "1", "error-document-404": "/404.html",
  "alpn": "h2", "fo-listen-queue": "19", "strict-host-check": "1", "listen-accept-role": "raw-skt",
  "listen-accept-protocol": "lap", "apply-listen-accept": "1", "fallback-listen-accept": "1",
  "allow-non-tls": "1", "redirect-http": "1", "allow-http-on-https": "1",
  "disable-no-protocol-ws-upgrades": "1", "h2-half-closed-long-poll": "1",
  "dht": [{"v": "1", "name": "d", "port": "7682"}], "quic-mtu": "1200", "quic-preferred-addresses": "qa"}]
}`
	cfg, err := parseOne(t, "all", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings %v", cfg.Warnings)
	}
	if n, want := len(cfg.Global.Set), len(globalKeys); n != want {
		t.Errorf("%d global keys set, want %d", n, want)
	}
	if n, want := len(cfg.Vhosts[0].Set), len(vhostKeys)-1; n != want { // all but onlyraw
		t.Errorf("%d vhost keys set, want %d", n, want)
	}
	if n, want := len(cfg.Vhosts[0].Mounts[0].Set), len(mountKeys); n != want {
		t.Errorf("%d mount keys set, want %d", n, want)
	}
	clearPos(cfg)
	want := Config{
		Files: []string{"all"},
		Global: Global{UID: 1, GID: 2, Username: "u", Groupname: "g", CountThreads: 3, CountAsyncThreads: 4,
			InitSSL: true, ServerString: "s", PluginDirs: []string{"/p"}, WSPingPongSecs: 5, TimeoutSecs: 6,
			KaTime: 20, KaProbes: 3, KaInterval: 5, SendQueueLimit: 32768,
			HTTPBodyTimeoutSecs: 30, HTTPBodyMinRate: 500, FileReadWorkers: 2,
			RejectServiceKeywords: kvs("k", "v"), DefaultALPN: "http/1.1", IPLimitAH: 7, IPLimitWSI: 8,
			RlimitNofile: 9, CPDBypass: true, QUICPadCrypto: true, AllowEarlyData: true, QUICOnlyLatest: true,
			QUICEarlyKeyUpdate: true},
		Vhosts: []Vhost{{Name: "n", Port: 10, Interface: "i", BindIface: true, UnixSocketPerms: "a:b", STS: true,
			HostSSLKey: "k", HostSSLCert: "c", HostSSLCA: "ca", AccessLog: "l",
			Mounts: []Mount{{Mountpoint: "/", Origin: "callback://x", Default: "d", Protocol: "pr",
				AuthMask: 1 << 28, BasicAuth: "ba", CGITimeout: 11, CGIEnv: kvs("E", "v"), CGIChroot: "cr",
				CGIChdir: "cd", CacheMaxAge: 12, CacheReuse: true, CacheRevalidate: true,
				CacheIntermediaries: true, CacheNo: true, ExtraMimetypes: kvs(".x", "t/x"),
				Interpret: kvs(".y", "p"), Headers: kvs("H", "v"), KeepaliveTimeout: 13, PMO: kvs("o", "v"),
				ExactMatch: true, AppendPath: true, NoWSUpgrades: true, InterceptorPath: "/ip"}},
			WSProtocols:      []Protocol{{Name: "p", Options: []Option{{Name: "o", Value: "v"}}}},
			KeepaliveTimeout: 14, EnableClientSSL: true, Ciphers: "ci", TLS13Ciphers: "t13", ECDHCurve: "X25519",
			ClientSSLKey: "ck", ClientSSLCert: "cc", ClientSSLCA: "cca", ClientSSLCiphers: "cci",
			ClientTLS13Ciphers: "ct13", ClientECDHCurve: "P-256", NoIPv6: true, IPv6Only: "on",
			SSLOptionSet: []int{15}, SSLOptionClear: []int{16}, SSLClientOptionSet: []int{17},
			SSLClientOptionClear: []int{18}, Headers: kvs("V", "w"), ClientCertRequired: true,
			IgnoreMissingCert: true, ErrorDocument404: "/404.html", ALPN: "h2", FOListenQueue: 19,
			StrictHostCheck: true, ListenAcceptRole: "raw-skt", ListenAcceptProtocol: "lap",
			ApplyListenAccept: true, FallbackListenAccept: true, AllowNonTLS: true, RedirectHTTP: true,
			AllowHTTPOnHTTPS: true, DisableNoProtocolWSUpgrades: true, H2HalfClosedLongPoll: true,
			DHT: [][]KV{kvs("v", "1", "name", "d", "port", "7682")}, QUICMTU: 1200, QUICPreferredAddresses: "qa"}},
	}
	if !reflect.DeepEqual(*cfg, want) {
		t.Errorf("got\n%+v\nwant\n%+v", *cfg, want)
	}
}

// writeDir makes a configuration directory from name -> content; a name
// ending in "/" is a directory.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func vhostFile(name, port string) string {
	return `{"vhosts": [{"name": "` + name + `", "port": "` + port + `"}]}`
}

func TestLoad(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"conf":                 globalExample,
		"conf.d/20-b":          vhostFile("b", "82"),
		"conf.d/10-a":          vhostFile("a", "81"),
		"conf.d/3-c":           vhostFile("c", "83"),
		"conf.d/plugin":        `{"global": {"plugin-dir": "/usr/local/share/coherent-timeline/plugins", "server-string": "late"}}`,
		"conf.d/10-a~":         vhostFile("backup", "1"),
		"conf.d/.hidden":       vhostFile("hidden", "1"),
		"conf.d/subdir/":       "",
		"conf.d/subdir/inside": vhostFile("inside", "1"),
	})
	if err := os.Symlink(filepath.Join(dir, "conf.d", "10-a"), filepath.Join(dir, "conf.d", "5-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "conf.d", "6-dangling")); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range cfg.Vhosts {
		names = append(names, v.Name)
	}
	if want := []string{"a", "b", "c", "a"}; !reflect.DeepEqual(names, want) {
		t.Errorf("vhosts %q, want %q (lexical order of conf.d)", names, want)
	}
	d := func(n string) string { return filepath.Join(dir, filepath.FromSlash(n)) }
	if want := []string{d("conf"), d("conf.d/10-a"), d("conf.d/20-b"), d("conf.d/3-c"), d("conf.d/5-link"), d("conf.d/plugin")}; !reflect.DeepEqual(cfg.Files, want) {
		t.Errorf("files\n got %q\nwant %q", cfg.Files, want)
	}
	g := cfg.Global
	if g.UID != 48 || g.ServerString != "late" || !reflect.DeepEqual(g.PluginDirs, []string{"/usr/local/share/coherent-timeline/plugins"}) {
		t.Errorf("global %+v", g)
	}
	if got := g.Set["server-string"].String(); got != d("conf.d/plugin")+":1:73" {
		t.Errorf("server-string set at %s", got)
	}
	want := []string{
		d("conf") + `:9:4: unknown key "interface" in global ("interface" is a vhost key)`,
		d("conf.d/plugin") + `:1:73: key "server-string" given twice (before at ` + d("conf") + `:11:4); the last one counts`,
	}
	var got []string
	for _, w := range cfg.Warnings {
		got = append(got, w.String())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings\n got %q\nwant %q", got, want)
	}
}

func TestLoadConfOnly(t *testing.T) {
	dir := writeDir(t, map[string]string{"conf": readmeGlobal[:strings.LastIndex(readmeGlobal, "}")] + `, "vhosts": [{"port": "80"}]}`})
	cfg, err := Load(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Vhosts) != 1 || cfg.Global.Username != "apache" || len(cfg.Files) != 1 {
		t.Errorf("%+v", cfg)
	}
}

func TestLoadConfDOnly(t *testing.T) {
	dir := writeDir(t, map[string]string{"conf.d/localhost": localhostExample})
	cfg, err := Load(dir, Options{DataDir: "/usr/share"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Vhosts) != 1 || cfg.Global.UID != -1 || cfg.Global.GID != -1 || len(cfg.Files) != 1 {
		t.Errorf("%+v", cfg)
	}
	if got := cfg.Vhosts[0].Pos.String(); got != filepath.Join(dir, "conf.d", "localhost")+":2:14" {
		t.Errorf("vhost at %s", got)
	}
}

func TestLoadErrors(t *testing.T) {
	// no vhost anywhere
	dir := writeDir(t, map[string]string{"conf": globalExample, "conf.d/": ""})
	_, err := Load(dir, Options{})
	var e *Error
	if !errors.As(err, &e) || err.Error() != "need at least one vhost" || e.Pos != (Pos{}) {
		t.Errorf("got %v", err)
	}
	// an empty directory
	if _, err := Load(t.TempDir(), Options{}); err == nil || err.Error() != "need at least one vhost" {
		t.Errorf("empty dir: %v", err)
	}
	// a missing directory
	if _, err := Load(filepath.Join(t.TempDir(), "missing"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing dir: %v", err)
	}
	// a file, not a directory
	if _, err := Load(filepath.Join(dir, "conf"), Options{}); err == nil {
		t.Error("a file as the directory: no error")
	}
	// a malformed file stops the load with its position
	dir = writeDir(t, map[string]string{"conf.d/a": vhostFile("a", "80"), "conf.d/b": "{\n\"vhosts\": [}"})
	_, err = Load(dir, Options{})
	if want := filepath.Join(dir, "conf.d", "b") + ":2:12: expected a value, found '}'"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestParseKeepsGlobalsOfAGivenConfig(t *testing.T) {
	cfg := &Config{}
	if err := Parse("a", []byte(`{"global": {"uid": "5"}}`), Options{}, cfg); err != nil {
		t.Fatal(err)
	}
	if err := Parse("b", []byte(vhostFile("x", "80")), Options{}, cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Global.UID != 5 || cfg.Global.GID != -1 || len(cfg.Vhosts) != 1 || !reflect.DeepEqual(cfg.Files, []string{"a", "b"}) {
		t.Errorf("%+v", cfg)
	}
}

func TestDeepNesting(t *testing.T) {
	src := `{"vhosts": [{"port": "1", "ws-protocols": [{"p": ` + strings.Repeat(`{"a": `, 200) + `"x"` + strings.Repeat("}", 200) + `}]}]}`
	_, err := parseOne(t, "d", src, Options{})
	if err == nil || !strings.Contains(err.Error(), "nest too deeply") {
		t.Errorf("got %v", err)
	}
}
