// Swarm placement constraints: "node.hostname == pi-1", "node.labels.zone != garage".
import { type FileContext, fail, type KeyPath } from './diagnostics.js';
import { type Constraint, ConstraintSchema } from './model.js';

const SHAPE = /^\s*([^\s=!]+)\s*(==|!=)\s*(.*?)\s*$/;
const FIELDS = 'node.hostname, node.role, node.id, node.platform.arch, node.platform.os or node.labels.<key>';
const EXAMPLE = 'e.g. "node.hostname == pi-1" or "node.labels.zone != garage"';

export function parseConstraint(ctx: FileContext, path: KeyPath, text: string): Constraint {
  const match = SHAPE.exec(text);
  const field = match?.[1] ?? '';
  const op = match?.[2];
  const value = match?.[3] ?? '';
  if (!match || (op !== '==' && op !== '!=')) {
    return fail(
      ctx,
      path,
      `"${text}" is not a constraint; write <field> == <value> or <field> != <value>, ${EXAMPLE}`,
    );
  }
  if (field.startsWith('engine.labels.')) {
    return fail(
      ctx,
      path,
      `"${text}": engine labels are not known to Alicia; give the host an agent label and use node.labels.${field.slice('engine.labels.'.length)}`,
      'ALICIA_ERR_COMPOSE_UNSUPPORTED',
    );
  }
  if (value === '') return fail(ctx, path, `"${text}" has no value after "${op}"; ${EXAMPLE}`);
  const parsed = ConstraintSchema.safeParse({ field, op, value });
  if (!parsed.success) {
    return fail(ctx, path, `"${text}": "${field}" is not a constraint field; use ${FIELDS}`);
  }
  return parsed.data;
}

export function formatConstraint(constraint: Constraint): string {
  return `${constraint.field} ${constraint.op} ${constraint.value}`;
}
