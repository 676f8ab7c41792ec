import { differential } from './differential.js';

differential(['maxsurge-recreate', 'paused', 'priority', 'grace', 'hook', 'resize']);
