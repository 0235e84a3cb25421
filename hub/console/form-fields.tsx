import { own } from '../../shared/own.ts';
import type { Child } from 'hono/jsx';
import { Csrf } from './components.tsx';
import type { ConsoleContext } from './console-access.ts';
import type { FieldError, FieldErrors } from '../../shared/form-errors.ts';
import type { Translator } from './i18n.ts';

/*
 * The parts of the console's edit forms (loyalty rules, coupon templates): an input that keeps
 * what the operator typed and shows the error of its field under it, worded in the page's
 * language from the error's code (`invalid.<code>`).
 */

/**
 * The edit form of a versioned document (rules, templates, the catalogue, tag rules): without the
 * permission to save, the same fields read-only and no form; with it, a form carrying the CSRF
 * token and the version the fields were read at, so a save over someone else's answers 409.
 */
export function VersionedForm({ c, action, id, version, readOnly, actions, children }: { c: ConsoleContext; action: string; id: string; version: string; readOnly: boolean; actions: Child; children?: Child }) {
  if (readOnly) return <div class="edit-form">{children}</div>;
  return (
    <form method="post" action={action} class="edit-form" id={id}>
      <Csrf actor={c.var.actor} />
      <input type="hidden" name="version" value={version} />
      {children}
      <p class="actions">{actions}</p>
    </form>
  );
}

/** A form's values and errors as a page renders them again after a refused save. */
export interface FormState {
  values: readonly (readonly [string, string])[];
  errors: FieldErrors;
}

export const valueOf = (form: FormState, name: string) => form.values.find(([k]) => k === name)?.[1] ?? '';
export const valuesOf = (form: FormState, name: string) => form.values.filter(([k]) => k === name).map(([, v]) => v);

/** The words for a field error (its figures filled in); an unknown code reads as the general one. */
export function errorText(t: Translator, e: FieldError): string {
  const text = t.value('invalid', e.code);
  const message = text === e.code ? t('invalid.invalid') : text;
  return message.replace(/\{(\w+)\}/g, (all, name: string) => (e.params && Object.hasOwn(e.params, name) ? String(e.params[name]) : all));
}

/** The error under a field, when it has one. */
export function FieldErrorText({ t, form, name }: { t: Translator; form: FormState; name: string }) {
  const e = form.errors.get(name);
  return e ? (
    <small class="field-error" id={`err-${name}`} data-error-for={name}>
      {errorText(t, e)}
    </small>
  ) : null;
}

interface InputProps {
  t: Translator;
  form: FormState;
  name: string;
  label?: string;
  type?: string;
  size?: number;
  inputmode?: 'numeric' | 'decimal';
  maxlength?: number;
  readonly?: boolean;
  hint?: string;
}

/** A text input (with its label when given) that shows its field's error. */
export function Input({ t, form, name, label, type = 'text', size, inputmode, maxlength = 80, readonly, hint }: InputProps) {
  const bad = form.errors.has(name);
  const input = (
    <input
      name={name}
      type={type}
      value={valueOf(form, name)}
      size={size}
      inputmode={inputmode}
      maxlength={maxlength}
      readonly={readonly}
      aria-label={label ? undefined : name}
      aria-invalid={bad ? 'true' : undefined}
      aria-describedby={bad ? `err-${name}` : undefined}
    />
  );
  if (!label)
    return (
      <>
        {input}
        <FieldErrorText t={t} form={form} name={name} />
      </>
    );
  return (
    <label>
      {label}
      {input}
      {hint && <small>{hint}</small>}
      <FieldErrorText t={t} form={form} name={name} />
    </label>
  );
}

/** A select of fixed options (their words from the catalogue under `prefix`). */
export function Select({ t, form, name, label, options, prefix, disabled }: { t: Translator; form: FormState; name: string; label?: string; options: readonly string[]; prefix: string; disabled?: boolean }) {
  const current = valueOf(form, name);
  const select = (
    <select name={name} disabled={disabled} aria-label={label ? undefined : name} aria-invalid={form.errors.has(name) ? 'true' : undefined}>
      {options.map((o) => (
        <option value={o} selected={o === current}>
          {t.value(prefix, o)}
        </option>
      ))}
    </select>
  );
  return label ? (
    <label>
      {label}
      {select}
      <FieldErrorText t={t} form={form} name={name} />
    </label>
  ) : (
    <>
      {select}
      <FieldErrorText t={t} form={form} name={name} />
    </>
  );
}

/** A count of the errors at the top of a refused form, so they are not missed below the fold. */
export function FormErrorsNotice({ t, form, children }: { t: Translator; form: FormState; children?: Child }) {
  if (form.errors.size === 0) return null;
  return (
    <p class="notice error" role="alert" data-form-errors={form.errors.size}>
      {t('loyalty.formErrors', { n: form.errors.size })}
      {children}
    </p>
  );
}

/** A submitted form's fields (the CSRF token left out), bounded: a form has a few dozen. */
export async function formEntries(c: ConsoleContext, longFields: readonly string[] = []): Promise<[string, string][]> {
  const data = await c.req.formData();
  const out: [string, string][] = [];
  // `longFields` (the rules' JSON sections) may hold up to 64 KB; every other field 200 characters.
  for (const [k, v] of data) if (k !== '_csrf' && typeof v === 'string' && out.length < 1000) out.push([k.slice(0, 100), v.slice(0, longFields.includes(k) ? LONG_FIELD : 200)]);
  return out;
}

export const LONG_FIELD = 65_536;

/** A form's text field, trimmed; undefined when absent or empty. */
export function textField(form: Record<string, unknown>, name: string): string | undefined {
  const v = own(form, name);
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** The submitted form's text fields, each as textField reads it. */
export async function formFields(c: ConsoleContext): Promise<(name: string) => string | undefined> {
  const form = await c.req.parseBody();
  return (name: string) => textField(form, name);
}
