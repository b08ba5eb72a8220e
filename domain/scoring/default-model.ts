// The default scoring model, built from the playbook in the seed articles. Every weight says why.
// Copy it, change the lists (industries, countries, competitor and own domains) to your market, bump
// `version`, and backtest it against the current one before switching (see docs/scoring.md).
//
// Shape of the playbook:
// - A lead is ready to buy when three things hold at once: it looks like the buyer persona (FIT), it
//   knows us from several interactions (ENGAGEMENT), and it has a stated need / purchase situation
//   (INTENT). So MQL needs each dimension over its own threshold, not a single blended total.
// - Bottom-of-funnel "hand-raisers" (demo / contact request, RFP) skip the wait: they go to sales now.
// - Negative factors (unsubscribes...) take points away; spammers, students, competitors, own staff and
//   job seekers are removed outright.
// - An MQL nobody acts on is "not ready to buy yet", not dead: it goes back to nurture.
// - SQL is a sales decision and never appears here.
import { parseScoringModel, type ScoringModel } from './model.ts';

export const defaultScoringModel: ScoringModel = parseScoringModel({
  id: 'default',
  version: 1,
  description: 'Three-dimension B2B model from the seed playbook: fit, engagement ("knows us"), intent.',

  // FIT: "does the lead fit the buyer persona?" (position, decision power, company size, type of
  // business, contact information). Roughly 100 points available; the threshold is 40.
  fit: [
    // Decision power is the first persona criterion: C-level and VPs sign or sponsor purchases.
    {
      id: 'fit.seniority.exec',
      description: 'C-level or VP',
      when: { kind: 'seniority', in: ['c_level', 'vp'] },
      points: 20,
    },
    // Directors usually own the budget line for a team-level tool: slightly less than execs.
    {
      id: 'fit.seniority.director',
      description: 'Director',
      when: { kind: 'seniority', in: ['director'] },
      points: 15,
    },
    // Managers influence but rarely sign: worth something, not enough alone.
    {
      id: 'fit.seniority.manager',
      description: 'Manager',
      when: { kind: 'seniority', in: ['manager'] },
      points: 8,
    },
    // Stated decision maker ("can sign or strongly influence"): as strong a signal as a senior title.
    {
      id: 'fit.decision_maker',
      description: 'Decision maker',
      when: { kind: 'decision_maker', is: true },
      points: 15,
    },
    // "Number of employees" / "company size according to" the target: mid-market is the sweet spot.
    {
      id: 'fit.size.core',
      description: 'Company of 50-5000 employees',
      when: { kind: 'company_size', min: 50, max: 5000 },
      points: 15,
    },
    // Small companies still buy, with smaller deals and shorter cycles: half the core weight.
    {
      id: 'fit.size.small',
      description: 'Company of 10-49 employees',
      when: { kind: 'company_size', min: 10, max: 49 },
      points: 8,
    },
    // "Type of business / target customer": industries we sell to (replace with yours).
    {
      id: 'fit.industry',
      description: 'Target industry',
      when: {
        kind: 'industry',
        in: [
          'software',
          'saas',
          'it services',
          'financial services',
          'manufacturing',
          'professional services',
        ],
      },
      points: 10,
    },
    // Markets we can sell to and serve (replace with yours): outside them a deal is unlikely.
    {
      id: 'fit.country',
      description: 'Country we sell in',
      when: {
        kind: 'country',
        in: ['US', 'CA', 'GB', 'IE', 'DE', 'FR', 'ES', 'NL', 'BE', 'AT', 'CH', 'SE', 'DK', 'NO', 'FI'],
      },
      points: 10,
    },
    // B2B vs B2C: a company address ties the lead to a company we can qualify.
    {
      id: 'fit.email.business',
      description: 'Business email address',
      when: { kind: 'email_type', is: 'business' },
      points: 10,
    },
    // A free-mail address hides the company: small penalty, not a disqualifier (founders use Gmail too).
    {
      id: 'fit.email.free',
      description: 'Free-mail address',
      when: { kind: 'email_type', is: 'free' },
      points: -5,
    },
    // "Contact information: name, surname, email, phone": the more we know, the better we can qualify;
    // scaled by the fraction filled in (all six fields = 10 points).
    {
      id: 'fit.completeness',
      description: 'Profile completeness',
      when: {
        kind: 'completeness',
        fields: ['firstName', 'lastName', 'email', 'company', 'title', 'fields.phone'],
      },
      points: 10,
    },
  ],

  // ENGAGEMENT: "does the lead know us?" (visits, social, newsletter, content). Decays: interest from
  // last quarter says little about today. Caps stop reloads and machine clicks from farming points.
  // Threshold 30 ≈ "several interactions", e.g. two downloads and a few visits.
  engagement: [
    // "Visited our website several times": each visit counts a little; 5 per day max so reloading does
    // not farm points; half-life 30 days.
    {
      id: 'eng.page_view',
      description: 'Website visit',
      match: { types: ['page_view'] },
      points: 2,
      halfLifeDays: 30,
      cap: { maxHits: 5, periodDays: 1 },
    },
    // "A lead who opens an email is showing some interest, but not enough": 1 point, 3 per week, fast decay.
    {
      id: 'eng.email_open',
      description: 'Email opened',
      match: { types: ['email_open'] },
      points: 1,
      halfLifeDays: 14,
      cap: { maxHits: 3, periodDays: 7 },
    },
    // A click is a deliberate action on our content: 3 points, 5 per week.
    {
      id: 'eng.email_click',
      description: 'Email link clicked',
      match: { types: ['email_click'] },
      points: 3,
      halfLifeDays: 30,
      cap: { maxHits: 5, periodDays: 7 },
    },
    // A reply is a conversation: the strongest email signal.
    {
      id: 'eng.email_reply',
      description: 'Replied to an email',
      match: { types: ['email_reply'] },
      points: 8,
      halfLifeDays: 45,
    },
    // "Downloads a white paper / ebook": the classic lead magnet, 10 points; 3 per month so a bulk
    // download of the library does not look like three months of interest.
    {
      id: 'eng.content_download',
      description: 'Content downloaded',
      match: { types: ['content_download'] },
      points: 10,
      halfLifeDays: 60,
      cap: { maxHits: 3, periodDays: 30 },
    },
    // Registering is a promise; attending is "an in-depth conversation at an event": worth much more.
    {
      id: 'eng.webinar_registered',
      description: 'Webinar registration',
      match: { types: ['webinar_registered'] },
      points: 4,
      halfLifeDays: 45,
    },
    {
      id: 'eng.webinar_attended',
      description: 'Webinar attended',
      match: { types: ['webinar_attended'] },
      points: 12,
      halfLifeDays: 60,
    },
    // "Do you receive our newsletter?": counts once; a subscription is not a lead by itself.
    {
      id: 'eng.newsletter',
      description: 'Newsletter signup',
      match: { types: ['newsletter_signup'] },
      points: 5,
      halfLifeDays: 90,
      cap: { maxHits: 1 },
    },
    // "Do you follow us on social media?": light signal, capped weekly.
    {
      id: 'eng.social',
      description: 'Social engagement',
      match: { types: ['social_engagement'] },
      points: 2,
      halfLifeDays: 30,
      cap: { maxHits: 5, periodDays: 7 },
    },
    // Filling a form with more than an email address is what makes a subscriber a lead.
    {
      id: 'eng.form',
      description: 'Form submitted',
      match: { types: ['form_submitted'] },
      points: 5,
      halfLifeDays: 45,
      cap: { maxHits: 3, periodDays: 7 },
    },
    // Product usage (trial / freemium) shows hands-on evaluation.
    {
      id: 'eng.product',
      description: 'Product usage signal',
      match: { types: ['product_signal'] },
      points: 6,
      halfLifeDays: 21,
      cap: { maxPoints: 18, periodDays: 7 },
    },
  ],

  // INTENT: "is the lead in a purchasing situation?" (RFP, competing proposals, top-3 priority, buying
  // within 3 / 6 months, pricing interest, demo requests). Threshold 25.
  intent: [
    // Demo request: the bottom-of-funnel call to action; also a hand-raiser below.
    {
      kind: 'event',
      id: 'int.demo',
      description: 'Demo request',
      match: { types: ['demo_request'] },
      points: 30,
      halfLifeDays: 60,
    },
    // Contact / "request for a quote": a stated need, slightly less specific than a demo.
    {
      kind: 'event',
      id: 'int.contact',
      description: 'Contact request',
      match: { types: ['contact_request'] },
      points: 25,
      halfLifeDays: 60,
    },
    // Explicit pricing request: "sharing pricing or financial information" marks sales readiness.
    {
      kind: 'event',
      id: 'int.pricing_request',
      description: 'Pricing request',
      match: { types: ['pricing_request'] },
      points: 20,
      halfLifeDays: 45,
    },
    // Pricing page visits: comparing offers. 6 points, max 3 per week (reloads), fast decay.
    {
      kind: 'event',
      id: 'int.pricing_page',
      description: 'Pricing page visit',
      match: { types: ['page_view'], properties: { path: { prefix: '/pricing' } } },
      points: 6,
      halfLifeDays: 21,
      cap: { maxHits: 3, periodDays: 7 },
    },
    // "Need documented in an RFP or brief": the clearest purchase situation.
    {
      kind: 'event',
      id: 'int.rfp',
      description: 'RFP submitted',
      match: { types: ['rfp_submitted'] },
      points: 30,
      halfLifeDays: 90,
    },
    // Plans to buy within 3 months: short-term buyer.
    {
      kind: 'profile',
      id: 'int.timeline.3m',
      description: 'Buying within 3 months',
      when: { kind: 'purchase_timeline', maxMonths: 3 },
      points: 20,
    },
    // Within 4-6 months: real but less urgent (ranges do not overlap, so never both).
    {
      kind: 'profile',
      id: 'int.timeline.6m',
      description: 'Buying within 4-6 months',
      when: { kind: 'purchase_timeline', minMonths: 4, maxMonths: 6 },
      points: 10,
    },
    // "Is the project among the company's 3 priorities?"
    {
      kind: 'profile',
      id: 'int.priority',
      description: 'Top-3 priority',
      when: { kind: 'priority_rank', max: 3 },
      points: 10,
    },
    // "Do you already have proposals from other suppliers?": they are buying, from someone.
    {
      kind: 'profile',
      id: 'int.competing',
      description: 'Has competing proposals',
      when: { kind: 'competing_proposals', is: true },
      points: 10,
    },
    // "Experience implementing a similar solution": knows what it takes, shorter cycle.
    {
      kind: 'profile',
      id: 'int.prior_experience',
      description: 'Implemented a similar solution before',
      when: { kind: 'field', name: 'implementedSimilarBefore', value: { equals: true } },
      points: 5,
    },
  ],

  // NEGATIVE: "don't forget to account for negative factors, such as unsubscribing".
  negative: [
    // Unsubscribing says "not now": a large engagement penalty that fades over half a year.
    {
      kind: 'event',
      id: 'neg.unsubscribe',
      description: 'Unsubscribed',
      match: { types: ['unsubscribe'] },
      points: -15,
      halfLifeDays: 180,
      cap: { maxHits: 1 },
    },
    // A bounce means the contact data is wrong: that is a fit (data quality) problem.
    {
      kind: 'event',
      id: 'neg.bounce',
      description: 'Email bounced',
      match: { types: ['bounce'] },
      points: -10,
      dimension: 'fit',
      cap: { maxHits: 1 },
    },
    // A spam complaint is the strongest "stop": wipes out most engagement.
    {
      kind: 'event',
      id: 'neg.complaint',
      description: 'Spam complaint',
      match: { types: ['complaint'] },
      points: -30,
      cap: { maxHits: 1 },
    },
    // Long silence: two steps, so a 4-month-quiet lead loses 25 points on top of decay.
    {
      kind: 'inactivity',
      id: 'neg.inactive.60d',
      description: 'No activity for 60 days',
      days: 60,
      points: -10,
    },
    {
      kind: 'inactivity',
      id: 'neg.inactive.120d',
      description: 'No activity for 120 days',
      days: 120,
      points: -15,
    },
  ],

  // DISQUALIFIERS: "spammers, students, competitors, and your own staff... there's no point in
  // marketing to them further". They beat every score and every hand-raiser.
  disqualifiers: [
    { id: 'dq.student', description: 'Student', when: { kind: 'seniority', in: ['student'] } },
    {
      id: 'dq.job_seeker.tag',
      description: 'Job seeker (tag)',
      when: { kind: 'tag', in: ['job_seeker', 'job-seeker'] },
    },
    {
      id: 'dq.job_seeker.field',
      description: 'Job seeker (form answer)',
      when: { kind: 'field', name: 'jobSeeker', value: { equals: true } },
    },
    // Replace with your competitors' and your own domains.
    {
      id: 'dq.competitor',
      description: 'Competitor domain',
      when: { kind: 'email_domain', in: ['competitor.example'] },
    },
    {
      id: 'dq.own_staff',
      description: 'Our own staff',
      when: { kind: 'email_domain', in: ['ourcompany.example'] },
    },
    {
      id: 'dq.spam_trap.tag',
      description: 'Spam trap (tag)',
      when: { kind: 'tag', in: ['spam_trap', 'spammer'] },
    },
    {
      id: 'dq.spam_trap.address',
      description: 'Known spam trap address',
      when: { kind: 'email_address', in: ['trap@spamtrap.example'] },
    },
  ],

  // HAND-RAISERS: "only allow certain, designated forms to trigger MQL: those that respond to bottom of
  // the funnel offers like demo requests". Recent ones only: a demo request from last year is history.
  handRaisers: [
    { id: 'hr.demo', description: 'Demo request', match: { types: ['demo_request'] }, withinDays: 30 },
    {
      id: 'hr.contact',
      description: 'Contact / quote request',
      match: { types: ['contact_request'] },
      withinDays: 30,
    },
    { id: 'hr.rfp', description: 'RFP submitted', match: { types: ['rfp_submitted'] }, withinDays: 30 },
    {
      id: 'hr.talk_to_sales',
      description: '"Talk to sales" form',
      match: { types: ['form_submitted'], properties: { form: { equals: 'talk-to-sales' } } },
      withinDays: 30,
    },
  ],

  thresholds: {
    // All three at once ("a lead is ready to buy when 3 characteristics are present in parallel").
    // Fit 40 ≈ senior title + right-size company + business email; engagement 30 ≈ several interactions;
    // intent 25 ≈ one strong signal (contact request) or two medium ones (timeline + priority).
    mql: { fit: 40, engagement: 30, intent: 25 },
    // Unresponsive MQLs are "not ready to buy yet": back to nurture when engagement decays below 10 or
    // after 90 quiet days (the sales SLA timer lives in the workflow, not here).
    recycle: { engagementBelow: 10, inactiveDays: 90 },
  },
});
