import { differential } from './differential.js';

differential(['seed', 'partition', 'env-recreate', 'two-containers', 'scale-during-update']);
