// Press Run, then open the preview. Edit the page below and Run again.
package main

import (
	"fmt"
	"html"
	"log"
	"net/http"
	"os"
	"runtime"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "3000"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>Hello from Go</title><h1>Hello from Go %s</h1><p>You asked for <code>%s</code>.</p>",
			runtime.Version(), html.EscapeString(r.URL.Path))
	})
	log.Printf("Go %s listening on http://0.0.0.0:%s", runtime.Version(), port)
	log.Fatal(http.ListenAndServe("0.0.0.0:"+port, nil))
}
