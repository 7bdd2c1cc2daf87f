package lws

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/golws/lws/zipfs"
)

// Mount maps a part of a vhost's URL space to an origin (lws's struct
// lws_http_mount): the "v2.0 way" of serving HTTP, where most servers
// declare mounts and write no HTTP code. The longest mountpoint that
// matches a request's path wins, at folder granularity: "/app" matches
// "/app" and "/app/x", not "/apple".
type Mount struct {
	// Mountpoint is the URL prefix, such as "/" or "/formtest".
	Mountpoint string
	// Origin says what serves the mountpoint, by its scheme, as in
	// lwsws's configuration:
	//
	//	file:///var/www     files of a directory (or of a .zip archive)
	//	cgi:///path/script  a CGI program (RFC 3875)
	//	>http://host/path   a redirect (">https://" likewise)
	//	callback://name     the vhost protocol called name
	//
	// A file mount may give FS instead, and then needs no Origin.
	Origin string
	// FS is the origin of a file mount: any io/fs.FS, such as an
	// embed.FS, os.DirFS or a zip archive opened with package zipfs. It
	// overrides the directory of a file:// Origin.
	//
	// Files are sent with an ETag made of their length and modification
	// time, and a Last-Modified of that time; If-None-Match,
	// If-Modified-Since and If-Range are evaluated against both. A file
	// whose ModTime is zero, as every file of an embed.FS reports, is
	// dated from the time the process started (to the second): it is
	// never sent as modified in year 1, its ETag changes when a restarted
	// binary may embed new content, and between restarts clients
	// revalidate with 304 as for any file.
	FS fs.FS
	// Default is the file served for a directory (lws's def); empty means
	// "index.html".
	Default string
	// Protocol, for file mounts, names a vhost protocol that receives
	// CallbackAddHeaders for each file served, to add headers.
	Protocol string
	// CGIEnv is added to a CGI program's environment (lws's cgi-env).
	CGIEnv []HTTPHeader
	// CGIChdir is the working directory of a CGI program (lws's
	// cgi-chdir); empty means the program's own directory.
	CGIChdir string
	// CGITimeout bounds, in seconds, how long a CGI program may run
	// without producing output; zero means 20.
	CGITimeout int
	// CacheMaxAge, CacheReusable, CacheRevalidate, CacheIntermediaries
	// and CacheNo make the Cache-Control of served files, as lws does:
	// "no-cache" with CacheNo; "public, max-age=N" (or "private" without
	// CacheIntermediaries, and "must-revalidate, " first with
	// CacheRevalidate) when CacheMaxAge and CacheReusable are set;
	// "no-store" otherwise.
	CacheMaxAge                                         int
	CacheReusable, CacheRevalidate, CacheIntermediaries bool
	CacheNo                                             bool
	// ExtraMimetypes adds file suffixes (".zip") and their content types
	// to the built-in list. Files whose type is unknown are refused with
	// 415 unless the key "*" is given, whose value is then their type
	// (an empty value sends no Content-Type).
	ExtraMimetypes map[string]string
	// Headers are added to every response of the mount; a header of the
	// same name in VhostInfo.Headers is overridden.
	Headers []HTTPHeader
	// KeepaliveTimeout, if non-zero, replaces the vhost's keep-alive idle
	// timeout after a transaction on this mount (lws's keepalive-timeout).
	KeepaliveTimeout int
	// ExactMatch matches only a path equal to Mountpoint.
	ExactMatch bool
	// AppendPath makes a redirect append the rest of the request path to
	// the origin URL.
	AppendPath bool
	// NoWSUpgrades ignores the mount for requests asking for an Upgrade.
	NoWSUpgrades bool
	// PMO holds per-mount options (lws's pmo), read with Conn.PMO.
	PMO map[string]string
	// AuthMask is handed to CallbackCheckAccessRights of a callback mount
	// (its low 28 bits); a non-zero mask asks for the check.
	AuthMask uint32
}

// HTTPHeader is one response header: a name and a value.
type HTTPHeader struct {
	Name, Value string
}

type mountKind uint8

const (
	mountFile mountKind = iota
	mountCGI
	mountRedirHTTP
	mountRedirHTTPS
	mountCallback
)

// mount is a Mount prepared for serving.
type mount struct {
	Mount
	kind   mountKind
	target string         // redirect URL (without scheme), CGI path, protocol name
	vp     *vhostProtocol // callback mount's protocol; file mount's Protocol
	fsys   fs.FS
	closer io.Closer // what Destroy closes: an opened root or zip archive
	cc     string    // Cache-Control of served files
	def    string

	// allHeaders are the vhost's headers that Headers does not override,
	// then Headers: what every response of the mount carries.
	allHeaders []headerField
}

// prepareMounts checks and prepares a vhost's mounts.
func (vh *Vhost) prepareMounts() error {
	for i := range vh.info.Mounts {
		m := &mount{Mount: vh.info.Mounts[i]}
		if err := vh.prepareMount(m); err != nil {
			vh.closeMounts()
			return fmt.Errorf("mount %q: %w", m.Mountpoint, err)
		}
		vh.mounts = append(vh.mounts, m)
	}
	return nil
}

func (vh *Vhost) prepareMount(m *mount) error {
	if m.Mountpoint == "" || m.Mountpoint[0] != '/' {
		return errors.New("mountpoint must start with /")
	}
	if len(m.Mountpoint) > 1 {
		m.Mountpoint = strings.TrimSuffix(m.Mountpoint, "/")
	}
	m.def = m.Default
	if m.def == "" {
		m.def = "index.html"
	}
	var own []headerField
	for _, h := range m.Headers {
		f, err := newField(h.Name, h.Value)
		if err != nil {
			return err
		}
		own = append(own, f)
	}
	for _, vhdr := range vh.info.Headers {
		overridden := false
		for _, h := range m.Headers {
			if strings.EqualFold(strings.TrimSuffix(h.Name, ":"), strings.TrimSuffix(vhdr.Name, ":")) {
				overridden = true
			}
		}
		if f, err := newField(vhdr.Name, vhdr.Value); err == nil && !overridden {
			m.allHeaders = append(m.allHeaders, f)
		}
	}
	m.allHeaders = append(m.allHeaders, own...)
	origin := m.Origin
	scheme, rest, ok := strings.Cut(origin, "://")
	switch {
	case m.FS != nil && (origin == "" || scheme == "file"):
		m.kind, m.fsys = mountFile, m.FS
	case !ok:
		return fmt.Errorf("origin %q has no scheme: use file://, cgi://, >http://, >https:// or callback://", origin)
	case scheme == "file":
		m.kind = mountFile
		fsys, closer, err := openFileOrigin(rest)
		if err != nil {
			return err
		}
		m.fsys, m.closer = fsys, closer
	case scheme == "cgi":
		m.kind, m.target = mountCGI, rest
		if st, err := os.Stat(rest); err != nil {
			return err
		} else if st.IsDir() || st.Mode()&0o111 == 0 {
			return fmt.Errorf("cgi origin %q is not an executable file", rest)
		}
	case scheme == ">http":
		m.kind, m.target = mountRedirHTTP, rest
	case scheme == ">https":
		m.kind, m.target = mountRedirHTTPS, rest
	case scheme == "callback":
		m.kind, m.target = mountCallback, rest
		if m.vp = vh.protocol(rest); m.vp == nil {
			return fmt.Errorf("callback protocol %q is not one of the vhost's protocols", rest)
		}
	default:
		return fmt.Errorf("origin scheme %q is not served (http:// and https:// reverse proxying are not supported)", scheme)
	}
	if m.Protocol != "" && m.kind == mountFile {
		if m.vp = vh.protocol(m.Protocol); m.vp == nil {
			return fmt.Errorf("protocol %q is not one of the vhost's protocols", m.Protocol)
		}
	}
	switch {
	case m.CacheNo:
		m.cc = "no-cache"
	case m.CacheMaxAge > 0 && m.CacheReusable:
		who := "private"
		if m.CacheIntermediaries {
			who = "public"
		}
		m.cc = who + ", max-age=" + strconv.Itoa(m.CacheMaxAge)
		if m.CacheRevalidate {
			m.cc = "must-revalidate, " + m.cc
		}
	default:
		m.cc = "no-store"
	}
	return nil
}

// openFileOrigin opens the directory or zip archive of a file:// origin.
// A directory is opened as an os.Root, so that neither "..", nor a
// symbolic link, leads out of it.
func openFileOrigin(dir string) (fs.FS, io.Closer, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, nil, err
	}
	if !st.IsDir() {
		if strings.HasSuffix(dir, ".zip") {
			z, err := zipfs.Open(dir)
			if err != nil {
				return nil, nil, err
			}
			return z, z, nil
		}
		return nil, nil, fmt.Errorf("file origin %q is neither a directory nor a .zip archive", dir)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, err
	}
	return root.FS(), root, nil
}

func (vh *Vhost) closeMounts() {
	for _, m := range vh.mounts {
		if m.closer != nil {
			_ = m.closer.Close()
		}
	}
	vh.mounts = nil
}

// findMount returns the mount serving uri (lws_find_mount): the longest
// mountpoint matching at folder granularity.
func (vh *Vhost) findMount(uri []byte, upgrade bool) *mount {
	var hit *mount
	for _, m := range vh.mounts {
		mp := m.Mountpoint
		if len(uri) < len(mp) || string(uri[:len(mp)]) != mp {
			continue
		}
		if m.ExactMatch {
			if len(uri) != len(mp) {
				continue
			}
		} else if len(uri) > len(mp) && uri[len(mp)] != '/' && len(mp) > 1 {
			continue
		}
		if upgrade && m.NoWSUpgrades {
			continue
		}
		if hit == nil || len(mp) > len(hit.Mountpoint) {
			hit = m
		}
	}
	return hit
}

// mimetypes are the types lws knows by file suffix.
var mimetypes = map[string]string{
	".html":  "text/html",
	".htm":   "text/html",
	".js":    "text/javascript",
	".mjs":   "text/javascript",
	".css":   "text/css",
	".png":   "image/png",
	".jpg":   "image/jpeg",
	".jpeg":  "image/jpeg",
	".ico":   "image/x-icon",
	".gif":   "image/gif",
	".svg":   "image/svg+xml",
	".ttf":   "application/x-font-ttf",
	".otf":   "application/font-woff",
	".woff":  "application/font-woff",
	".woff2": "application/font-woff2",
	".gz":    "application/gzip",
	".txt":   "text/plain",
	".xml":   "application/xml",
	".json":  "application/json",
	".wasm":  "application/wasm",
}

// Mimetype returns the content type of a file name by its suffix, looking
// first at extra (a mount's ExtraMimetypes) and then at the built-in list
// (lws_get_mimetype). ok is false for an unknown type; with a "*" entry in
// extra, every type is known and unknown ones get its value.
func Mimetype(name string, extra map[string]string) (typ string, ok bool) {
	ext := path.Ext(name)
	if t, ok := extra[ext]; ok && ext != "" {
		return t, true
	}
	if t, ok := mimetypes[ext]; ok {
		return t, true
	}
	if t, ok := extra["*"]; ok {
		return t, true
	}
	return "", false
}
