import { ValidationFailed } from './errors.js';

/**
 * How deeply a body field's value may nest arrays and objects (docs/api-behaviour.md). No field of the
 * contract nests at all; the limit is there so that a value thousands of levels deep is a 400 before
 * anything walks it (validation, class-transformer, the NUL check) and exhausts the call stack. The
 * extended form parser is given the same depth (app.factory.ts).
 */
export const MAX_NESTING = 32;

/** The first top-level field of `body` whose value nests deeper than MAX_NESTING, found without recursion. */
export function fieldNestedTooDeep(body: object): string | null {
  for (const [field, value] of Object.entries(body)) {
    // [value, how many arrays and objects it is inside, counting from the field's own value]
    const stack: Array<[unknown, number]> = [[value, 0]];
    while (stack.length) {
      const [current, outer] = stack.pop()!;
      if (typeof current !== 'object' || current === null) continue;
      if (outer + 1 > MAX_NESTING) return field;
      for (const inner of Object.values(current)) stack.push([inner, outer + 1]);
    }
  }
  return null;
}

/** The 400 for a field nested too deeply; `body` when the parser could not say which field. */
export const nestedTooDeep = (field = 'body') => ValidationFailed.field(field, `Must not nest arrays and objects more than ${MAX_NESTING} levels deep`);
