// Press Run, then open the preview. Edit the page below and Run again.
const http = require('node:http');

const port = Number(process.env.PORT) || 3000;
let visits = 0;

const server = http.createServer((req, res) => {
  visits += 1;
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html>
<title>Hello from Node.js</title>
<h1>Hello from Node.js ${process.version}</h1>
<p>You asked for <code>${req.url.replace(/[<>&"]/g, '')}</code>. This server has answered ${visits} request(s).</p>`);
});

server.listen(port, '0.0.0.0', () => {
  console.log(`Node.js ${process.version} listening on http://0.0.0.0:${port}`);
});
