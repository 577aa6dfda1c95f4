/**
 * Tracing's start, loaded before the process's own modules: `node --import @foodflow/platform/tracing
 * dist/main.js`. Instrumenting a library means wrapping it before anything imports it, and in ES modules
 * imports are bound before the first line of `main.js` runs, hence a module of its own, given to `--import`.
 *
 * With `OTEL_EXPORTER_OTLP_ENDPOINT` unset it does nothing at all: no loader hook, no SDK loaded, no
 * instrumentation, and the platform's spans are the API's no-ops. A wrong tracing variable is left to the
 * process's configuration load, which stops with it among every other problem.
 */
import { createRequire, register, syncBuiltinESMExports } from 'node:module';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { checkEnv, envSchemas } from '../config/config.js';
import { setTracingShutdown } from './tracing-shutdown.js';

const { values, problems } = checkEnv(envSchemas.tracing);
if (problems.length === 0 && values['OTEL_EXPORTER_OTLP_ENDPOINT'] !== undefined) {
  // Only the modules the instrumentations name are wrapped, not every module the process loads.
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
  const { instrumentLibraries, registerTracerProvider } = await import('./tracer-provider.js');
  const provider = registerTracerProvider();
  instrumentLibraries(provider);
  // Node's modules are patched where CommonJS requires them, but ES modules import a copy of their exports
  // made at the first require (Express's, say), which would keep the unpatched `request`: patched here
  // first, then copied again.
  const require = createRequire(import.meta.url);
  for (const name of ['node:http', 'node:https']) require(name);
  syncBuiltinESMExports();
  setTracingShutdown(() => provider.shutdown());
  await waitForAllMessagesAcknowledged();
}
