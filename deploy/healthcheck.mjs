// Container health probe: succeeds when the service in this container answers the given health path
// (`/health/live` by default) on its own port. Node ships fetch; the slim image has no curl.
const path = process.argv[2] ?? '/health/live';
const port = process.env.PORT ?? '3000';

try {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2500) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
