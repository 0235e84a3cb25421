import { Hono } from 'hono';
import { AppError } from '../../../shared/errors.ts';
import { GENDERS } from '../../../shared/schemas/documents.ts';
import { RegisterBodySchema } from '../../../shared/schemas/api.ts';
import { register } from '../../services/members.ts';
import { guideForm, guidePage, type GuideContext, type GuideDeps, type GuideEnv } from '../guide-access.ts';
import { Csrf, Layout, Notice } from '../layout.tsx';

/** Registrations from the guide pages carry this in place of a POS terminal id (the guide's name stays in the store). */
export const GUIDE_TERMINAL = 'guide';

type Fields = { phone?: string; name?: string; gender?: string; birthday?: string };

/** Registering a walk-in with the till's registration service (join gift, provisional while offline). */
export function registerPages(deps: GuideDeps) {
  const { ctx } = deps;
  const app = new Hono<GuideEnv>();

  const RegisterPage = ({ c, fields = {}, error, existing }: { c: GuideContext; fields?: Fields; error?: string; existing?: string }) => {
    const t = c.var.t;
    return (
      <Layout t={t} title={t('register.title')} storeId={ctx.storeId} here="/guide/register" session={c.var.session} screen="register" offline={ctx.hub !== undefined && !ctx.hub.reachable()}>
        <form method="post" action="/guide/register" class="card" autocomplete="off">
          {error && (
            <Notice kind="error">
              {error} {existing && <a href={`/guide/m/${encodeURIComponent(existing)}`}>{t('register.open')}</a>}
            </Notice>
          )}
          <Csrf session={c.var.session} />
          <label>
            {t('register.phone')}
            <input name="phone" type="tel" inputmode="tel" required maxlength={32} value={fields.phone ?? ''} />
          </label>
          <label>
            {t('register.name')}
            <input name="name" maxlength={64} value={fields.name ?? ''} />
          </label>
          <label>
            {t('register.gender')}
            <select name="gender">
              <option value="">{t('gender.none')}</option>
              {GENDERS.map((g) => (
                <option value={g} selected={fields.gender === g}>
                  {t.value('gender', g)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('register.birthday')}
            <input name="birthday" type="date" value={fields.birthday ?? ''} />
          </label>
          <button type="submit">{t('register.submit')}</button>
        </form>
      </Layout>
    );
  };

  app.get('/register', guidePage(deps, (c) => c.html(<RegisterPage c={c} />)));

  app.post(
    '/register',
    guideForm(deps, async (c, form) => {
      const t = c.var.t;
      const fields: Fields = { phone: form('phone').trim(), name: form('name').trim(), gender: form('gender'), birthday: form('birthday') };
      const body = RegisterBodySchema.safeParse({
        phone: fields.phone,
        ...(fields.name ? { name: fields.name } : {}),
        ...(fields.gender ? { gender: fields.gender } : {}),
        ...(fields.birthday ? { birthday: fields.birthday } : {}),
      });
      if (!body.success) {
        const issue = body.error.issues[0]!;
        return c.html(<RegisterPage c={c} fields={fields} error={t('register.invalid', { reason: `${issue.path.join('.')}: ${issue.message}` })} />, 400);
      }
      try {
        const member = await register(ctx, GUIDE_TERMINAL, body.data);
        return c.redirect(`/guide/m/${encodeURIComponent(member.id)}?new=1`, 303);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        if (err.code === 'member_exists') {
          const id = (err.beside.member as { id?: unknown } | undefined)?.id;
          return c.html(<RegisterPage c={c} fields={fields} error={t('register.exists')} {...(typeof id === 'string' ? { existing: id } : {})} />, 409);
        }
        if (err.code === 'identity_taken') return c.html(<RegisterPage c={c} fields={fields} error={t('register.taken')} />, 409);
        if (err.code === 'validation_failed') return c.html(<RegisterPage c={c} fields={fields} error={t('register.invalid', { reason: err.message })} />, 400);
        throw err;
      }
    }),
  );
  return app;
}
