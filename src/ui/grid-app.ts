import './grid-app/define.ts';
