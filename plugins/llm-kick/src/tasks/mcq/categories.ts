/**
 * MMLU subject -> subcategory -> category, as in Hendrycks' `categories.py` (the file LLM-KICK's
 * main_mmlu.py imports). A subject not listed (a custom CSV) counts in no subcategory or category.
 */
export const SUBCATEGORIES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  abstract_algebra: ['math'],
  anatomy: ['health'],
  astronomy: ['physics'],
  business_ethics: ['business'],
  clinical_knowledge: ['health'],
  college_biology: ['biology'],
  college_chemistry: ['chemistry'],
  college_computer_science: ['computer science'],
  college_mathematics: ['math'],
  college_medicine: ['health'],
  college_physics: ['physics'],
  computer_security: ['computer science'],
  conceptual_physics: ['physics'],
  econometrics: ['economics'],
  electrical_engineering: ['engineering'],
  elementary_mathematics: ['math'],
  formal_logic: ['philosophy'],
  global_facts: ['other'],
  high_school_biology: ['biology'],
  high_school_chemistry: ['chemistry'],
  high_school_computer_science: ['computer science'],
  high_school_european_history: ['history'],
  high_school_geography: ['geography'],
  high_school_government_and_politics: ['politics'],
  high_school_macroeconomics: ['economics'],
  high_school_mathematics: ['math'],
  high_school_microeconomics: ['economics'],
  high_school_physics: ['physics'],
  high_school_psychology: ['psychology'],
  high_school_statistics: ['math'],
  high_school_us_history: ['history'],
  high_school_world_history: ['history'],
  human_aging: ['health'],
  human_sexuality: ['culture'],
  international_law: ['law'],
  jurisprudence: ['law'],
  logical_fallacies: ['philosophy'],
  machine_learning: ['computer science'],
  management: ['business'],
  marketing: ['business'],
  medical_genetics: ['health'],
  miscellaneous: ['other'],
  moral_disputes: ['philosophy'],
  moral_scenarios: ['philosophy'],
  nutrition: ['health'],
  philosophy: ['philosophy'],
  prehistory: ['history'],
  professional_accounting: ['other'],
  professional_law: ['law'],
  professional_medicine: ['health'],
  professional_psychology: ['psychology'],
  public_relations: ['politics'],
  security_studies: ['politics'],
  sociology: ['culture'],
  us_foreign_policy: ['politics'],
  virology: ['health'],
  world_religions: ['philosophy'],
});

export const CATEGORIES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  STEM: ['physics', 'chemistry', 'biology', 'computer science', 'math', 'engineering'],
  humanities: ['history', 'philosophy', 'law'],
  'social sciences': ['politics', 'culture', 'economics', 'geography', 'psychology'],
  'other (business, health, misc.)': ['other', 'business', 'health'],
});

/** The result groups one question of `subject` counts in: its subject, subcategories and categories. */
export function groupsOf(subject: string): string[] {
  const subcats = SUBCATEGORIES[subject] ?? [];
  const cats = Object.entries(CATEGORIES)
    .filter(([, list]) => subcats.some((s) => list.includes(s)))
    .map(([c]) => c);
  return [`subject/${subject}`, ...subcats.map((s) => `subcategory/${s}`), ...cats.map((c) => `category/${c}`)];
}
