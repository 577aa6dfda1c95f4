import { errorStatus } from '@foodflow/platform';

/**
 * What is wrong with an error answer, measured against the contract: JSON of exactly
 * `{ error: { code, message, details?, requestId } }`, a code the contract knows whose status is the one
 * answered, `details` of `{ path, message }` only, and the request id the `X-Request-ID` header carries.
 * Exact keys, so a stack trace or any internal field shows up as a problem. Empty when all is well.
 */
export function errorShapeProblems(status: number, headers: Headers, text: string): string[] {
  const problems: string[] = [];
  if (!headers.get('content-type')?.startsWith('application/json')) {
    problems.push(`content-type is ${headers.get('content-type')}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [...problems, `the body is not JSON: ${text.slice(0, 200)}`];
  }
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(body) || Object.keys(body).join() !== 'error' || !isObject(body['error'])) {
    return [...problems, `the body is not { error }: ${text.slice(0, 200)}`];
  }
  const { code, message, details, requestId, ...rest } = body['error'];
  if (Object.keys(rest).length > 0) problems.push(`unexpected fields ${Object.keys(rest).join(', ')}`);
  const expected = typeof code === 'string' ? (errorStatus as Record<string, number>)[code] : undefined;
  if (expected !== status) problems.push(`code ${String(code)} does not belong with status ${status}`);
  if (typeof message !== 'string' || message === '') problems.push('message is not a non-empty string');
  const detailsFine =
    details === undefined ||
    (Array.isArray(details) &&
      details.every(
        (d) =>
          isObject(d) &&
          Object.keys(d).sort().join() === 'message,path' &&
          typeof d['path'] === 'string' &&
          typeof d['message'] === 'string',
      ));
  if (!detailsFine) problems.push(`details are not [{ path, message }]: ${JSON.stringify(details)}`);
  if (typeof requestId !== 'string' || requestId !== headers.get('x-request-id')) {
    problems.push(`requestId ${String(requestId)} is not the X-Request-ID header ${headers.get('x-request-id')}`);
  }
  return problems;
}
