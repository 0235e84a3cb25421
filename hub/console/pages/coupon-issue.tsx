import { Hono } from 'hono';
import { z } from 'zod';
import { AppError } from '../../../shared/errors.ts';
import { newId } from '../../../shared/ids.ts';
import { FormValues } from '../../../shared/loyalty/form-values.ts';
import { CouponCode, MemberId } from '../../../shared/schemas/common.ts';
import type { CouponTemplate } from '../../../shared/schemas/coupon.ts';
import type { HubContext } from '../../context.ts';
import { issueHubCoupon } from '../../coupons.ts';
import type { Actor } from '../../operators/access.ts';
import { memberInScope, scopeCheck } from '../../org/scope-check.ts';
import { pathId } from '../../routes/path-param.ts';
import { listTemplates } from '../../rules.ts';
import { IssueCouponSchema } from '../../routes/loyalty.ts';
import { Csrf, Notice, Panel } from '../components.tsx';
import { formAction, type ConsoleContext, type ConsoleEnv } from '../console-access.ts';
import { formEntries } from '../form-fields.tsx';
import type { Translator } from '../i18n.ts';
import { Layout } from '../layout.tsx';
import { findMember } from './members.tsx';

/*
 * Issuing a coupon to a member from the console: from the loyalty screen (a member id, phone or
 * card) or from a member's 360 page. Both do the work of POST /admin/v1/coupons through the same
 * service: coupons:issue, a member only in the operator's scope (else not found), audited with
 * the member as target, and a request id in the form, so a form sent twice issues one coupon.
 */

const IssueFormSchema = z.strictObject({ templateId: IssueCouponSchema.shape.templateId, requestId: IssueCouponSchema.shape.requestId.unwrap() });

/** A fresh request id for an issuing form: one per form shown. */
export const issueRequestId = () => newId(new Date(), 'iss-');

/** The template picker and the request id, shared by both forms. */
function TemplatePicker({ t, templates, requestId, chosen }: { t: Translator; templates: CouponTemplate[]; requestId: string; chosen?: string }) {
  return (
    <>
      <input type="hidden" name="requestId" value={requestId} />
      <label>
        {t('loyalty.template')}
        <select name="templateId" required>
          {templates.map((tpl) => (
            <option value={tpl.id} selected={tpl.id === chosen}>{`${tpl.id} · ${tpl.title}`}</option>
          ))}
        </select>
      </label>
    </>
  );
}

/** The loyalty screen's form: a member by id, phone or card, and a template. */
export function IssueCouponForm({ t, actor, templates, member = '', chosen }: { t: Translator; actor: Actor; templates: CouponTemplate[]; member?: string; chosen?: string }) {
  return (
    <Panel title={t('loyalty.issue')} id="issue">
      <form method="post" action="/console/loyalty/coupons" class="grid-form">
        <Csrf actor={actor} />
        <label class="grow">
          {t('loyalty.issueMember')}
          <input name="member" value={member} required maxlength={80} placeholder={t('members.placeholder')} />
        </label>
        <TemplatePicker t={t} templates={templates} requestId={issueRequestId()} chosen={chosen} />
        <button type="submit" data-action="issue-coupon">
          {t('loyalty.issueSubmit')}
        </button>
      </form>
      <p class="hint">{t('loyalty.issueHint')}</p>
    </Panel>
  );
}

/** The member 360 page's form: this member, a template. */
export function IssueToMemberForm({ t, actor, memberId, templates }: { t: Translator; actor: Actor; memberId: string; templates: CouponTemplate[] }) {
  return (
    <form method="post" action={`/console/members/${encodeURIComponent(memberId)}/coupons`} class="grid-form" id="issue-coupon">
      <Csrf actor={actor} />
      <TemplatePicker t={t} templates={templates} requestId={issueRequestId()} />
      <button type="submit" data-action="issue-coupon">
        {t('loyalty.issueSubmit')}
      </button>
    </form>
  );
}

/** The notice after a coupon was issued (from the redirect's query: shown only when well-formed). */
export function IssuedNotice({ t, query }: { t: Translator; query: (name: string) => string | undefined }) {
  const code = CouponCode.safeParse(query('code'));
  const member = MemberId.safeParse(query('member'));
  if (query('done') !== 'coupon' || !code.success) return null;
  return (
    <Notice kind="ok">
      <span data-issued={code.data}>{t(query('again') ? 'loyalty.issuedAgain' : 'loyalty.issued', { code: code.data, member: member.success ? member.data : '' })}</span>
    </Notice>
  );
}

export function couponIssuePages(ctx: HubContext) {
  const app = new Hono<ConsoleEnv>();

  /** Issues, after the form's own checks; a member out of scope is not found (the service checks too). */
  const issue = async (c: ConsoleContext, memberId: string, form: FormValues) => {
    c.set('auditTarget', memberId);
    const input = IssueFormSchema.safeParse({ templateId: form.text('templateId'), requestId: form.text('requestId') });
    if (!input.success) throw new AppError('validation_failed', c.var.t('loyalty.issueInvalid'));
    const { scope } = await scopeCheck(ctx, c);
    try {
      return await issueHubCoupon(ctx, { memberId, ...input.data }, scope);
    } catch (err) {
      if (err instanceof AppError && err.code === 'template_not_found') throw new AppError('validation_failed', c.var.t('loyalty.issueInvalid'));
      throw err;
    }
  };

  // From the loyalty screen: the member as typed (id, phone or card), found as the members screen finds them.
  app.post(
    '/loyalty/coupons',
    formAction(ctx, 'POST /coupons', async (c) => {
      const { t, actor } = c.var;
      const form = new FormValues(await formEntries(c));
      const typed = form.text('member').slice(0, 80);
      const { scope } = await scopeCheck(ctx, c);
      const found = typed ? await findMember(ctx, typed, 'auto') : undefined;
      if (!found || !(await memberInScope(ctx.members, scope, found))) {
        const templates = await listTemplates(ctx.couch);
        return c.html(
          <Layout t={t} title={t('loyalty.issue')} here="/console/loyalty" actor={actor} screen="/console/loyalty">
            <Notice kind="error">{t('members.notFound')}</Notice>
            <IssueCouponForm t={t} actor={actor} templates={templates} member={typed} chosen={form.text('templateId')} />
          </Layout>,
          404,
        );
      }
      const { coupon, created } = await issue(c, found, form);
      return c.redirect(`/console/loyalty?done=coupon&code=${encodeURIComponent(coupon.code)}&member=${encodeURIComponent(found)}${created ? '' : '&again=1'}#issue`, 303);
    }),
  );

  app.post(
    '/members/:id/coupons',
    formAction(ctx, 'POST /coupons', async (c) => {
      const memberId = pathId(c, 'id', MemberId, 'member_not_found', 'member');
      const { coupon, created } = await issue(c, memberId, new FormValues(await formEntries(c)));
      return c.redirect(`/console/members/${encodeURIComponent(memberId)}?done=coupon&code=${encodeURIComponent(coupon.code)}&member=${encodeURIComponent(memberId)}${created ? '' : '&again=1'}#coupons`, 303);
    }),
  );
  return app;
}
