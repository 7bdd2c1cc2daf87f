package spa_test

import (
	"fmt"
	"strings"

	"github.com/golws/lws/spa"
)

// Example parses an upload the way a post-demo style protocol does: the
// Parser is made when the POST arrives, fed from each HTTP_BODY callback,
// finalized on HTTP_BODY_COMPLETION, and its values read then.
func Example() {
	// HTTP request callback: the Content-Type header says the encoding.
	p, err := spa.New("multipart/form-data; boundary=xx", spa.Config{
		Params: []string{"text", "send"},
		File: func(ev spa.FileEvent) error {
			switch ev.State {
			case spa.FileOpen:
				fmt.Printf("open %s (%s)\n", ev.Filename, ev.ContentType)
			case spa.FileContent, spa.FileFinalContent:
				fmt.Printf("%d bytes\n", len(ev.Data)) // write them out
			case spa.FileClose:
				fmt.Println("close")
			}
			return nil
		},
	})
	if err != nil {
		fmt.Println("answer", spa.StatusOf(err))
		return
	}

	body := strings.Join([]string{
		"--xx",
		`Content-Disposition: form-data; name="text"`,
		"",
		"hello",
		"--xx",
		`Content-Disposition: form-data; name="file"; filename="a.txt"`,
		"Content-Type: text/plain",
		"",
		"file content",
		"--xx--",
		"",
	}, "\r\n")

	// HTTP_BODY callbacks: each piece of the body as it arrives.
	for _, piece := range []string{body[:70], body[70:]} {
		if _, err := p.Write([]byte(piece)); err != nil {
			fmt.Println("answer", spa.StatusOf(err))
			return
		}
	}

	// HTTP_BODY_COMPLETION callback.
	if err := p.Finalize(); err != nil {
		fmt.Println("answer", spa.StatusOf(err))
		return
	}
	text, _ := p.Get("text")
	_, sent := p.Index(1)
	fmt.Printf("text=%q send present: %v\n", text, sent)
	// Output:
	// open a.txt (text/plain)
	// 12 bytes
	// close
	// text="hello" send present: false
}
