import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type Router } from 'express';

const require = createRequire(import.meta.url);
const dirOf = (pkg: string) => path.dirname(require.resolve(`${pkg}/package.json`));

/**
 * GraphiQL served from the project's own node_modules (no CDN), so the IDE works
 * offline. `headers` pre-fills the header editor (used by `npm start` with a dev key), only
 * on a page asked for by a loopback name (localhost, 127.0.0.1, [::1]): a web page that points
 * its own domain at this machine (DNS rebinding) gets the page without the key.
 */
export function graphiqlRouter(options: { endpoint: string; headers?: Record<string, string> }): Router {
  const router = express.Router();
  router.use('/graphiql/react', express.static(path.join(dirOf('react'), 'umd'), { immutable: true, maxAge: '1d' }));
  router.use('/graphiql/react-dom', express.static(path.join(dirOf('react-dom'), 'umd'), { immutable: true, maxAge: '1d' }));
  router.use('/graphiql/app', express.static(dirOf('graphiql'), { immutable: true, maxAge: '1d' }));
  const withHeaders = page(options.endpoint, JSON.stringify(options.headers ?? {}, null, 2));
  const withoutHeaders = page(options.endpoint, '{}');
  router.get(options.endpoint, (req, res, next) => {
    if (!req.accepts(['application/json', 'text/html']) || req.accepts(['application/json', 'text/html']) !== 'text/html' || req.query.query) return next();
    // The Host the browser sent, not one a proxy header (X-Forwarded-Host) may claim when TRUST_PROXY is set.
    // The page may carry the admin dev key: no other site may frame it and have a developer press Run there.
    res.set({ 'x-frame-options': 'DENY', 'content-security-policy': "frame-ancestors 'none'" });
    res.type('html').send(LOOPBACK_NAMES.has(hostnameOf(req.headers.host)) ? withHeaders : withoutHeaders);
  });
  return router;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The name in a Host header, without its port ("[::1]:4000" is "[::1]"). */
const hostnameOf = (host: string | undefined): string => (host ?? '').toLowerCase().replace(/:\d+$/, '');

function page(endpoint: string, headers: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>Retention platform · GraphiQL</title>
  <link rel="stylesheet" href="/graphiql/app/graphiql.min.css" />
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="/graphiql/react/react.production.min.js"></script>
  <script src="/graphiql/react-dom/react-dom.production.min.js"></script>
  <script src="/graphiql/app/graphiql.min.js"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({ url: ${JSON.stringify(endpoint)} });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultHeaders: ${JSON.stringify(headers)},
        defaultQuery: '{\\n  customers(first: 10) {\\n    totalCount\\n    edges { node { id name email serviceTier status } }\\n  }\\n}\\n',
      }),
    );
  </script>
</body>
</html>`;
}
