"""Press Run, then open the preview. Edit the page below and Run again."""
import html
import os
import platform
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("PORT", "3000"))


class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        body = (
            "<!doctype html><title>Hello from Python</title>"
            f"<h1>Hello from Python {platform.python_version()}</h1>"
            f"<p>You asked for <code>{html.escape(self.path)}</code>.</p>"
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    print(f"Python {platform.python_version()} listening on http://0.0.0.0:{PORT}")
    ThreadingHTTPServer(("0.0.0.0", PORT), Hello).serve_forever()
