"""The film as a sequence of shots: screenplay import, rendering every shot (on one machine or a
Ray cluster) and the cut."""
