/** The quickstart pipeline's model and image size (pipelines/quickstart.ts, profile "quick"). */
export const QUICKSTART_MODEL = {
  channels: 3,
  widths: [32, 64],
  resBlocksPerLevel: 1,
  attentionLevels: [],
  middle: "attention",
  numClasses: 6,
} as const;
export const QUICKSTART_SIZE = 16;
