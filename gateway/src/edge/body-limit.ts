import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '@foodflow/platform';

export const payloadTooLarge = (limitBytes: number): AppError =>
  new AppError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limitBytes / 2 ** 20} MiB`);

/**
 * Passes a streamed body through while counting it, and fails once it grows past the limit. Bodies
 * with a `Content-Length` are judged before a byte is read; this catches chunked ones, which do not
 * say their size up front.
 */
export class BodyLimit extends Transform {
  private seen = 0;

  constructor(private readonly limitBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limitBytes) callback(payloadTooLarge(this.limitBytes));
    else callback(null, chunk);
  }
}
