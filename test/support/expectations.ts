/** What the tests read of an answer: supertest's Response or a raw one. */
interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/**
 * The error envelope of spec §2 with this status and code (the body is shown when it fails); with
 * `field`, the validation detail names that field with at least one message.
 */
export function expectError(res: Answer, status: number, code: string, field?: string): void {
  expect({ status: res.status, code: res.body?.code, body: res.body }).toEqual(expect.objectContaining({ status, code }));
  expect(typeof res.body.message).toBe('string');
  if (field !== undefined) {
    expect(res.body.detail).toEqual(expect.objectContaining({ [field]: expect.arrayContaining([expect.any(String)]) }));
  }
}

/** The status, with the body shown when it differs (bytes summarised). */
export function expectStatus(res: Answer, status: number): void {
  expect({ status: res.status, body: Buffer.isBuffer(res.body) ? `<${res.body.length} bytes>` : res.body }).toEqual(expect.objectContaining({ status }));
}
