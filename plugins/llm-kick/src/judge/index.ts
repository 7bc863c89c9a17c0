/** The local judge and the reference judge prompts shared by kick-summarization and kick-instruction. */
export { LocalJudge, judgeNeedsReference, type JudgeRequest, type JudgeVerdict, type ScoreParser } from './judge.js';
export { fillJudgeTemplate, readJudgePrompts, vicunaPrompt, VICUNA_SYSTEM, type JudgePrompt } from './prompts.js';
export { parseFourPairs, parsePairScore } from './parse.js';
export { runFreeForm, FREE_FORM_PARAMS, type FreeFormItem, type FreeFormSpec } from './free-form.js';
