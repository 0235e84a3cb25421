import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../../shared/errors.ts';
import type { HubContext } from '../context.ts';
import { clientAddress, sessionActor } from '../operators/access.ts';

/*
 * A file sent with a console form (One-ID's imports, the product master's): the largest file
 * taken, refused before its body is read, and the file field read from the parsed form.
 */

/**
 * The largest file the console takes: the form's body is read whole before the import starts.
 * Bigger exports go through the hub's CLI or the admin API with a path on the hub.
 */
export const MAX_UPLOAD_BYTES = 32 * 1024 * 1024;

/**
 * Refuses a form body above MAX_UPLOAD_BYTES unread (413 `body_too_large`, naming `instead`, the
 * way for bigger files), audited as the form's own refusals are for an operator's session. The
 * size is checked before the body is read: the CSRF check reads the form.
 */
export function uploadLimit(ctx: HubContext, route: string, instead: string): MiddlewareHandler {
  return bodyLimit({
    maxSize: MAX_UPLOAD_BYTES + 64 * 1024,
    onError: async (c) => {
      const actor = await sessionActor(ctx, c);
      if (actor) await ctx.audit.record({ actor: { kind: actor.kind, name: actor.name }, method: 'POST', route, status: 413, ...clientAddress(c) });
      throw new AppError('body_too_large', `a file of at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MiB; import bigger ones with ${instead}`);
    },
  });
}

/** The form's file, when one was chosen and it is not empty (a form sent without a file has an empty one). */
export function uploadedFile(form: Record<string, unknown>, name: string): File | undefined {
  const file = Object.hasOwn(form, name) ? form[name] : undefined;
  return file instanceof File && file.size > 0 ? file : undefined;
}
