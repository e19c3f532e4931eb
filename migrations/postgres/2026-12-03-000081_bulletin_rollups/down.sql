DROP TABLE bulletin_rollups;
