/**
 * Reads an HTTP answer's JSON body, at most `maxBytes` of it: the CLI reads what a server on a port the
 * user named answers, which may be anything (another server, a stream that never ends). Over the cap
 * the body is cancelled and the read fails, as it does for a body that is not JSON.
 */
export class AnswerTooLargeError extends Error {
  override name = 'AnswerTooLargeError';
}

export async function readJsonCapped(response: Response, maxBytes: number): Promise<unknown> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new AnswerTooLargeError(`the answer is larger than ${maxBytes} bytes`);
  }
  const reader = response.body?.getReader();
  if (!reader) throw new SyntaxError('the answer has no body');
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > maxBytes) {
      await reader.cancel();
      throw new AnswerTooLargeError(`the answer is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}
