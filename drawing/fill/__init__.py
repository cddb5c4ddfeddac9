"""The fill stage (fill/): generated drawings -> coloured drawings. Regions, palettes, colouring and the blend."""
