/** Text scores shared by the generative kick-* tasks. */
export { containmentMatch, maxOverTruths, normalizeAnswer, strictMatch, tokenF1 } from './squad.js';
export { answerStatistics, distinctN, emptyRate, uniqueTokenRatio } from './diversity.js';
export { rougeScores, type RougeScores } from './rouge.js';
