// The report-reason taxonomy (GetReportReasons): first-level categories with second-level
// codes "<category>.<reason>", labelled in English and German; other locales fall back to
// English. Report accepts a subcategory only under its own category.
import { create } from '@bufbuild/protobuf';
import type { ReportReason } from '@kith/gen/kith/moderation/v1/moderation_pb.js';
import {
  ReportReasonSchema,
  ReportSubcategorySchema,
} from '@kith/gen/kith/moderation/v1/moderation_pb.js';
import { ReportCategory } from '@kith/gen/kith/moderation/v1/types_pb.js';

type Text = { en: string; de: string };
interface Reason {
  category: ReportCategory;
  code: string;
  label: Text;
  description: Text;
  subcategories: { code: string; label: Text; description: Text }[];
}

const t = (en: string, de: string): Text => ({ en, de });
const sub = (code: string, label: Text, description: Text) => ({ code, label, description });

export const REASONS: readonly Reason[] = [
  {
    category: ReportCategory.SPAM,
    code: 'spam',
    label: t('Spam', 'Spam'),
    description: t(
      'Unwanted ads, scams or repetitive content',
      'Werbung, Betrug oder Wiederholungen',
    ),
    subcategories: [
      sub(
        'spam.commercial',
        t('Advertising', 'Werbung'),
        t('Unsolicited ads', 'Unerwünschte Werbung'),
      ),
      sub(
        'spam.scam',
        t('Scam or phishing', 'Betrug oder Phishing'),
        t('Tries to take money or logins', 'Will Geld oder Zugangsdaten'),
      ),
      sub(
        'spam.bot',
        t('Fake or automated account', 'Gefälschtes oder automatisiertes Konto'),
        t('Not run by a real person', 'Nicht von einer echten Person'),
      ),
    ],
  },
  {
    category: ReportCategory.HARASSMENT,
    code: 'harassment',
    label: t('Harassment or bullying', 'Belästigung oder Mobbing'),
    description: t('Targets a person with abuse', 'Greift eine Person gezielt an'),
    subcategories: [
      sub(
        'harassment.targeted',
        t('Targeted at me or someone I know', 'Gegen mich oder jemanden, den ich kenne'),
        t('Repeated or directed abuse', 'Wiederholte oder gezielte Angriffe'),
      ),
      sub(
        'harassment.threats',
        t('Threats', 'Drohungen'),
        t('Threatens harm', 'Droht mit Schaden'),
      ),
      sub(
        'harassment.sexual',
        t('Sexual harassment', 'Sexuelle Belästigung'),
        t('Unwanted sexual content or advances', 'Unerwünschte sexuelle Inhalte oder Annäherungen'),
      ),
    ],
  },
  {
    category: ReportCategory.HATE,
    code: 'hate',
    label: t('Hate', 'Hass'),
    description: t('Attacks people for who they are', 'Greift Menschen wegen ihrer Identität an'),
    subcategories: [
      sub(
        'hate.slurs',
        t('Slurs or dehumanising speech', 'Beleidigungen oder entmenschlichende Sprache'),
        t('Against a protected group', 'Gegen eine geschützte Gruppe'),
      ),
      sub(
        'hate.symbols',
        t('Hateful symbols', 'Hasssymbole'),
        t('Symbols of hate groups', 'Symbole von Hassgruppen'),
      ),
    ],
  },
  {
    category: ReportCategory.DOXXING,
    code: 'doxxing',
    label: t('Private information', 'Private Informationen'),
    description: t("Shares someone's private details", 'Teilt private Daten einer Person'),
    subcategories: [
      sub(
        'doxxing.address',
        t('Address or location', 'Adresse oder Aufenthaltsort'),
        t('Where someone lives or is', 'Wo jemand wohnt oder ist'),
      ),
      sub(
        'doxxing.contact',
        t('Phone, e-mail or documents', 'Telefon, E-Mail oder Dokumente'),
        t('Contact details or IDs', 'Kontaktdaten oder Ausweise'),
      ),
    ],
  },
  {
    category: ReportCategory.NCII,
    code: 'ncii',
    label: t('Intimate images shared without consent', 'Intime Bilder ohne Einwilligung'),
    description: t(
      'Nude or sexual images of someone who did not agree',
      'Nackt- oder Sexbilder ohne Zustimmung',
    ),
    subcategories: [],
  },
  {
    category: ReportCategory.SELF_HARM,
    code: 'self_harm',
    label: t('Self-harm or suicide', 'Selbstverletzung oder Suizid'),
    description: t('Someone may be at risk', 'Jemand ist vielleicht in Gefahr'),
    subcategories: [
      sub(
        'self_harm.at_risk',
        t('Someone is at risk now', 'Jemand ist jetzt in Gefahr'),
        t('Signs of immediate danger', 'Anzeichen akuter Gefahr'),
      ),
      sub(
        'self_harm.promotion',
        t('Encourages self-harm', 'Ermutigt zur Selbstverletzung'),
        t('Promotes or instructs', 'Wirbt dafür oder leitet an'),
      ),
    ],
  },
  {
    category: ReportCategory.VIOLENCE,
    code: 'violence',
    label: t('Violence', 'Gewalt'),
    description: t(
      'Threatens, glorifies or shows violence',
      'Droht mit, verherrlicht oder zeigt Gewalt',
    ),
    subcategories: [
      sub(
        'violence.threat',
        t('Threat of violence', 'Gewaltandrohung'),
        t('Against a person or group', 'Gegen eine Person oder Gruppe'),
      ),
      sub(
        'violence.graphic',
        t('Graphic violence', 'Drastische Gewalt'),
        t('Gore or injury', 'Blut oder Verletzungen'),
      ),
      sub(
        'violence.extremism',
        t('Violent extremism', 'Gewalttätiger Extremismus'),
        t('Terrorism or its promotion', 'Terror oder Werbung dafür'),
      ),
    ],
  },
  {
    category: ReportCategory.IMPERSONATION,
    code: 'impersonation',
    label: t('Impersonation', 'Identitätsmissbrauch'),
    description: t('Pretends to be someone else', 'Gibt sich als jemand anderes aus'),
    subcategories: [],
  },
  {
    category: ReportCategory.BAN_EVASION,
    code: 'ban_evasion',
    label: t('Ban evasion', 'Umgehung einer Sperre'),
    description: t(
      'A new account of someone who was banned',
      'Neues Konto einer gesperrten Person',
    ),
    subcategories: [],
  },
  {
    category: ReportCategory.CHILD_SAFETY,
    code: 'child_safety',
    label: t('Child safety', 'Kinderschutz'),
    description: t('Sexualises or endangers a minor', 'Sexualisiert oder gefährdet Minderjährige'),
    subcategories: [],
  },
  {
    category: ReportCategory.ILLEGAL,
    code: 'illegal',
    label: t('Illegal content', 'Rechtswidrige Inhalte'),
    description: t('Breaks the law where you are', 'Verstößt gegen geltendes Recht'),
    subcategories: [
      sub(
        'illegal.goods',
        t('Illegal goods or services', 'Illegale Waren oder Dienste'),
        t('Drugs, weapons and the like', 'Drogen, Waffen und Ähnliches'),
      ),
      sub(
        'illegal.ip',
        t('Copyright or trademark', 'Urheber- oder Markenrecht'),
        t('Uses protected work', 'Nutzt geschützte Werke'),
      ),
    ],
  },
  {
    category: ReportCategory.SAFETY_FEATURE_ABUSE,
    code: 'safety_feature_abuse',
    label: t('Misuse of help or SOS', 'Missbrauch von Hilfe oder SOS'),
    description: t('False alarms or lures', 'Fehlalarme oder Lockversuche'),
    subcategories: [
      sub(
        'safety_feature_abuse.false_alarm',
        t('Repeated false alarms', 'Wiederholte Fehlalarme'),
        t('SOS or help requests raised to annoy', 'SOS oder Hilferufe zur Belästigung'),
      ),
      sub(
        'safety_feature_abuse.lure',
        t('A lure', 'Ein Lockversuch'),
        t(
          'A help request meant to draw someone into danger',
          'Ein Hilferuf, der jemanden in Gefahr locken soll',
        ),
      ),
    ],
  },
  {
    category: ReportCategory.OTHER,
    code: 'other',
    label: t('Something else', 'Etwas anderes'),
    description: t('Breaks the rules in another way', 'Verstößt anders gegen die Regeln'),
    subcategories: [],
  },
];

/** The policy code and English label of a category (a rule's automated action cites them). */
export function categoryPolicy(category: ReportCategory): { code: string; label: string } {
  const reason = REASONS.find((r) => r.category === category) ?? REASONS[REASONS.length - 1]!;
  return { code: reason.code, label: reason.label.en };
}

/** Whether `subcategory` ('' = general) may go with `category`. */
export function subcategoryFits(category: ReportCategory, subcategory: string): boolean {
  if (subcategory === '') return true;
  const reason = REASONS.find((r) => r.category === category);
  return Boolean(reason?.subcategories.some((s) => s.code === subcategory));
}

/** Every policy code staff may cite: the categories' and their subcategories'. */
export function isPolicyCode(code: string): boolean {
  return REASONS.some((r) => r.code === code || r.subcategories.some((s) => s.code === code));
}

/** The taxonomy labelled in `locale` (its language part), English when not offered. */
export function reasonsIn(locale: string): ReportReason[] {
  const lang: keyof Text = locale.toLowerCase().split('-')[0] === 'de' ? 'de' : 'en';
  return REASONS.map((r) =>
    create(ReportReasonSchema, {
      category: r.category,
      label: r.label[lang],
      description: r.description[lang],
      subcategories: r.subcategories.map((s) =>
        create(ReportSubcategorySchema, {
          code: s.code,
          label: s.label[lang],
          description: s.description[lang],
        }),
      ),
    }),
  );
}
