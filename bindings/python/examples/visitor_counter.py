"""The seed's visitor counter over http.server: ``/`` counts a view, ``/stats`` reads the total.

Run: ``python examples/visitor_counter.py ./data 8080``.
"""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grovekv


def make_server(db: grovekv.Store, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server whose handlers share the ``page-views`` counter of ``db``."""
    visitors = db.counter("page-views")

    class Handler(BaseHTTPRequestHandler):
        """Counts views on ``/`` and reports the total on ``/stats``."""

        def do_GET(self) -> None:
            """Serves ``/`` (increment) and ``/stats`` (read) as JSON."""
            try:
                if self.path == "/":
                    count = visitors.increment()
                elif self.path == "/stats":
                    count = visitors.get()
                else:
                    self.send_error(404)
                    return
            except grovekv.GroveError:
                self.send_error(500, "counter error")
                return
            body = json.dumps({"total_views": count}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Keeps the console quiet."""

    return ThreadingHTTPServer((host, port), Handler)


def main() -> None:
    """Serves the visitor counter for the store given on the command line."""
    path = sys.argv[1] if len(sys.argv) > 1 else "./visitors-data"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8080
    with grovekv.open(path) as db:
        server = make_server(db, port=port)
        print(f"listening on http://127.0.0.1:{server.server_address[1]}")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


if __name__ == "__main__":
    main()
