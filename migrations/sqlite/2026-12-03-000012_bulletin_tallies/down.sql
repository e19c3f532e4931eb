DROP TABLE bulletin_state;
DROP TABLE bulletin_tallies;
