/**
 * Reads an HTTP answer's JSON body, at most `maxBytes` of it: the CLI reads what a server on a port the
 * user named answers, which may be anything (another server, a stream that never ends). Over the cap
 * the body is cancelled and the read fails, as it does for a body that is not JSON (the callers treat
 * both alike: not an answer of the server they expected). Decoded as `Response.json()` does (a BOM is
 * dropped).
 */
export async function readJsonCapped(response: Response, maxBytes: number): Promise<unknown> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new RangeError(`the answer is larger than ${maxBytes} bytes`);
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
      throw new RangeError(`the answer is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return JSON.parse(new TextDecoder().decode(Buffer.concat(chunks)));
}
